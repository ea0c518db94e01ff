"""Đăng nhập: a name and a password; on a database without users, its first administrator."""
import streamlit as st

from views import auth

st.title("Đăng nhập")
auth.login_form()
