"""SAML 2.0 customer identity providers: metadata pre-flight and the facts Cognito needs."""
