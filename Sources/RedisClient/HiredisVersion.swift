import CHiredis

extension RedisClient {
    /// The hiredis release this module was compiled against, e.g. "0.14.1". hiredis 0.14 has no run-time
    /// version call; its soname (`libhiredis.so.0.14`) pins the series the process loads.
    public static let libraryVersion = "\(HIREDIS_MAJOR).\(HIREDIS_MINOR).\(HIREDIS_PATCH)"
}
