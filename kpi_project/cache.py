"""A Redis cache that degrades to "always a miss" when Redis is unreachable.

Dashboard results are only a cache: if Redis is down the app must keep serving from the
database instead of answering 500. Errors are logged once per call, never raised.
"""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _fail_safe(method_name: str, default=None):
    def method(self, *args, **kwargs):
        try:
            return getattr(super(FailSafeRedisCache, self), method_name)(*args, **kwargs)
        except RedisError as exc:
            logger.warning("Redis unavailable in cache.%s: %s", method_name, exc)
            if callable(default):
                return default(*args, **kwargs)
            return default

    method.__name__ = method_name
    return method


class FailSafeRedisCache(RedisCache):
    get = _fail_safe("get", default=lambda key, default=None, version=None: default)
    get_many = _fail_safe("get_many", default=lambda *a, **k: {})
    set = _fail_safe("set")
    add = _fail_safe("add", default=False)
    touch = _fail_safe("touch", default=False)
    set_many = _fail_safe("set_many", default=lambda data, *a, **k: list(data))
    delete = _fail_safe("delete", default=False)
    delete_many = _fail_safe("delete_many")
    has_key = _fail_safe("has_key", default=False)
    incr = _fail_safe("incr", default=None)
    clear = _fail_safe("clear", default=False)
