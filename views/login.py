"""Đăng nhập: a name and a password; on a database without users, its first administrator."""
import streamlit as st

from views import auth, ui

st.title("Đăng nhập")
ui.warm_overview()  # the figures the overview opens on, made while the name and password are typed
auth.login_form()
