"""The Streamlit page: it maps :mod:`coze_answer`'s model onto Streamlit elements.

``streamlit_app.py`` at the repository root is the page's outline (what ``streamlit run`` and
Community Cloud start); the modules here hold what it calls:

- :mod:`chat_page.settings`: the ``COZE_*`` settings (read and parsed here only), the
  connections, the simulator for demo mode, and who the visitor is;
- :mod:`chat_page.fair_share`: chats at once and messages a minute per visitor;
- :mod:`chat_page.conversation`: the history drawn again, a new question answered;
- :mod:`chat_page.answer_bubble`: one answer streamed into Streamlit elements, or replayed;
- :mod:`chat_page.controls`: the sidebar, the row under each answer, follow-ups, the box;
- :mod:`chat_page.copy_button`: the copy button (a ``st.components.v2`` component).

This package is the top layer: nothing in :mod:`coze_stream` or :mod:`coze_answer` imports it.
"""
