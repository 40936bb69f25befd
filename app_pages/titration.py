import streamlit as st

st.title("Titration plan")
st.info("This page is being built: use the CLI (python -m compounding) for titration plans meanwhile.")
