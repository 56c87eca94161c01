"""Alarms and main alarms (/alarms/, /main-alarms/; only with CF_ALARMS_ENDPOINT)."""
