"""Provider-native webhooks: signature checks, the channel secrets, and recording what a webhook carries."""
