import streamlit as st

st.title("Oral liquid")
st.info("This page is being built: use the CLI (python -m compounding) for liquids meanwhile.")
