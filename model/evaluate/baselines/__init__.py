"""Other models behind the Engine protocol, run on the same items through the same path as ours."""
