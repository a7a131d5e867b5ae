namespace Fabric.Tftp.Files;

/// <summary>
/// Hot files held in memory, keyed by path and validated by size and modification time, so a file changed on
/// disk is read afresh. Bounded by total bytes; the least recently used entries go first. Concurrent first
/// requests for one file load it once.
/// </summary>
internal sealed class TftpFileCache(long maxFileBytes, long maxTotalBytes)
{
    private sealed class Entry(long length, DateTime modified, Lazy<byte[]> bytes)
    {
        public long Length { get; } = length;

        public DateTime Modified { get; } = modified;

        public Lazy<byte[]> Bytes { get; } = bytes;

        public long LastUse { get; set; }
    }

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _totalBytes;
    private long _uses;

    public long MaxFileBytes => maxFileBytes;

    public long TotalBytes
    {
        get
        {
            lock (_lock)
            {
                return _totalBytes;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>True when a file of this size may be cached at all.</summary>
    public bool Accepts(long length) => length <= maxFileBytes && length <= maxTotalBytes;

    /// <summary>The cached bytes of <paramref name="key"/> at this size and time, loading them if needed.</summary>
    public byte[] GetOrLoad(string key, long length, DateTime modified, Func<byte[]> load)
    {
        Entry entry;
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out entry!) || entry.Length != length || entry.Modified != modified)
            {
                if (entry is not null)
                {
                    _entries.Remove(key);
                    _totalBytes -= entry.Length;
                }

                while (_totalBytes + length > maxTotalBytes && _entries.Count > 0)
                {
                    var oldest = _entries.MinBy(e => e.Value.LastUse);
                    _entries.Remove(oldest.Key);
                    _totalBytes -= oldest.Value.Length;
                }

                entry = new Entry(length, modified, new Lazy<byte[]>(load, LazyThreadSafetyMode.ExecutionAndPublication));
                _entries[key] = entry;
                _totalBytes += length;
            }

            entry.LastUse = ++_uses;
        }

        try
        {
            return entry.Bytes.Value;
        }
        catch
        {
            lock (_lock)
            {
                if (_entries.TryGetValue(key, out var current) && ReferenceEquals(current, entry))
                {
                    _entries.Remove(key);
                    _totalBytes -= entry.Length;
                }
            }

            throw;
        }
    }
}
