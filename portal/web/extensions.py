"""The web layer's Flask extensions: sign-in sessions and CSRF protection."""

from flask_login import LoginManager
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
