-- The durable tier's session table (rsmemcache.durable_table; MariaDB or
-- MySQL, InnoDB). One row per session, keyed by its memcached data key
-- (prefix + base64url SHA-256 of the session id with rsmemcache.key_hash =
-- sha256, the default; prefix + id with key_hash = none; at most 250 bytes):
--   data        the session as PHP serialised it
--   version     the copies' version (20 bits, compared with serial-number
--               arithmetic, so an older write never replaces a newer row)
--   expires_at  unix seconds; session_gc() deletes rows past it (indexed)
--   updated_at  unix seconds of the last write that changed the row
CREATE TABLE IF NOT EXISTS rsmemcache_sessions (
  id         VARBINARY(250)  NOT NULL,
  data       LONGBLOB        NOT NULL,
  version    INT UNSIGNED    NOT NULL,
  expires_at BIGINT          NOT NULL,
  updated_at BIGINT          NOT NULL,
  PRIMARY KEY (id),
  KEY expires_at (expires_at)
) ENGINE=InnoDB;
