"""Đăng nhập: a name and a password; on a database without users, its first administrator."""
import streamlit as st

from views import ui

st.title("Đăng nhập")
ui.login_form()
