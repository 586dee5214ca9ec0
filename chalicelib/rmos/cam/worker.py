def handle_object(bucket: str, key: str) -> None:
    raise NotImplementedError
