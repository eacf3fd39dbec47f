#!/usr/bin/env bash
# One command to run the chat page: installs what it needs, then `streamlit run streamlit_app.py`.
# Without COZE_PAT/COZE_BOT_ID (environment or .streamlit/secrets.toml) the page offers demo mode.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
# Streamlit prints the address to open ("URL: http://localhost:8501"). Without
# browser.serverAddress, a headless Streamlit asks a server on the internet for this machine's
# address, and prints "Did not auto detect external IP" when it gets none.
exec .venv/bin/streamlit run streamlit_app.py --browser.serverAddress localhost "$@"
