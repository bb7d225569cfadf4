"""One package per Lambda function; each is deployed as `functions/<name>/` with handler `functions.<name>.handler`."""
