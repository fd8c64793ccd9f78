"""Everything that talks to Cognito; the only package that imports boto3."""
