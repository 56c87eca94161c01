"""The licences of the installed Python distributions (/licences/)."""
