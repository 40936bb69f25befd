"""LDN compounding calculator: the pharmacist's bench in a browser.

    streamlit run app.py

This file only sets up the pages; each page (``app_pages/``) collects input and shows results,
and all arithmetic stays in ``compounding/``.
"""

import streamlit as st

from app_pages._records import check_session, role, show_notice
from app_pages._widgets import keep_inputs

st.set_page_config(page_title="LDN compounding calculator", page_icon=":material/medication:",
                   layout="wide", initial_sidebar_state="auto")

pages = [
    st.Page("app_pages/capsules.py", title="Capsules", icon=":material/pill:", default=True),
    st.Page("app_pages/oral_liquid.py", title="Oral liquid", icon=":material/water_drop:"),
    st.Page("app_pages/titration.py", title="Titration plan", icon=":material/trending_up:"),
    st.Page("app_pages/independent_check.py", title="Independent check (QA)", icon=":material/fact_check:"),
    st.Page("app_pages/weight_check.py", title="Weight check", icon=":material/scale:"),
    st.Page("app_pages/worklist.py", title="Worklist", icon=":material/checklist:"),
    st.Page("app_pages/reference_data.py", title="Reference data", icon=":material/menu_book:"),
]
check_session()  # an idle session is signed out before anything is shown
records = [  # the batch records: shown by role; the service checks the role again on every call
    st.Page("app_pages/batches.py", title="Batches", icon=":material/inventory_2:"),
    *([st.Page("app_pages/review.py", title="Review", icon=":material/rule:")] if role() == "pharmacist" else []),
    st.Page("app_pages/stock.py", title="Stock", icon=":material/warehouse:"),
    st.Page("app_pages/recall.py", title="Recall", icon=":material/report:"),
    *([st.Page("app_pages/users.py", title="Users", icon=":material/group:")] if role() == "admin" else []),
]
signed_in = role() is not None
account = st.Page("app_pages/sign_in.py", title="Account" if signed_in else "Sign in", url_path="sign_in",
                  icon=":material/account_circle:" if signed_in else ":material/login:")
pages = [*pages, *(records if signed_in else []), account]
# Navigation on top: the sidebar would take a third of a tablet's width from the forms.
page = st.navigation(pages, position="top")
keep_inputs(page.title)  # a visit to another page must not wipe what was typed there
show_notice()  # what the last sign-in, save or sign-off did (or why it was refused)
page.run()
