# discord-worker test fixture (not AA code): stands in for allianceauth/authentication/task_statistics/helpers.py,
# whose get_redis_client_or_stub() returns django-redis's raw client for CACHES["default"] (AA: CACHE_URL).
import os

from redis import Redis


def get_redis_client_or_stub() -> Redis:
    return Redis.from_url(os.environ["CACHE_URL"])
