"""The test sign-in: started from the setup page or the staff tenant page, back to its callback."""

from portal.web.testsignin.routes import bp

__all__ = ["bp"]
