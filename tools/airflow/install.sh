#!/usr/bin/env bash
# Install Airflow from one of the locks beside this script into its own virtualenv, then the
# repository's example apps (examples/*), so their DAGs load: install.sh VENV LOCK
set -euo pipefail
venv=$1
lock=$2
uv=${UV:-uv}

"$uv" venv --quiet --allow-existing --python 3.11 "$venv"
VIRTUAL_ENV=$venv "$uv" pip sync --quiet "$lock"
for app in examples/*/pyproject.toml; do
    [ -e "$app" ] || continue
    app=$(dirname "$app")
    # Editable, so the DAGs see the app as it is now; locked versions win, and an app whose
    # needs clash with Airflow's still gets its code in.
    if ! VIRTUAL_ENV=$venv "$uv" pip install --quiet --constraint "$lock" --editable "$app"; then
        echo "warning: installing $app without its dependencies into $venv" >&2
        VIRTUAL_ENV=$venv "$uv" pip install --quiet --no-deps --editable "$app"
    fi
done
touch "$venv/bin/airflow"
