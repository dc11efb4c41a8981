"""What the dashboard's pages read, computed in analysis so the pages only show it (no Streamlit here)."""
