"""The dashboard's read side: one function per question, each returning plain data or a DataFrame.

Only `progress.schema` and `progress.db` are imported from below; nothing here imports Streamlit.
"""
