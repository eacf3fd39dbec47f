#!/usr/bin/env bash
# One command to run the chat page: installs what it needs, then `streamlit run streamlit_app.py`.
# Without COZE_PAT/COZE_BOT_ID (environment or .streamlit/secrets.toml) the page offers demo mode.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
exec .venv/bin/streamlit run streamlit_app.py "$@"
