namespace Fabric.Tftp.Files;

/// <summary>
/// Hot files held in memory, keyed by path and validated by size and modification time, so a file changed on
/// disk is read afresh. Bounded by total bytes; the least recently used entries go first. Concurrent first
/// requests for one file load it once. Besides files as they are on disk it holds derived forms (the netascii
/// conversion), under keys no requested path can take, loaded on the thread pool so the caller never waits
/// on the conversion itself.
/// </summary>
internal sealed class TftpFileCache(long maxFileBytes, long maxTotalBytes)
{
    private sealed class Entry(long length, DateTime modified, long cost, Lazy<Task<byte[]>> bytes)
    {
        public long Length { get; } = length;

        public DateTime Modified { get; } = modified;

        /// <summary>The bytes this entry counts against the bound.</summary>
        public long Cost { get; } = cost;

        public Lazy<Task<byte[]>> Bytes { get; } = bytes;

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

    /// <summary>True when an entry of this cost may be cached at all.</summary>
    public bool Accepts(long cost) => cost <= maxFileBytes && cost <= maxTotalBytes;

    /// <summary>The cached bytes of <paramref name="key"/> at this size and time, loading them on the caller's thread if needed.</summary>
    public byte[] GetOrLoad(string key, long length, DateTime modified, Func<byte[]> load)
    {
        var entry = Acquire(key, length, modified, length, () => Task.FromResult(load()));
        try
        {
            return entry.Bytes.Value.GetAwaiter().GetResult();
        }
        catch
        {
            Forget(key, entry);
            throw;
        }
    }

    /// <summary>
    /// The cached bytes of <paramref name="key"/> for a source of this size and time, produced by
    /// <paramref name="load"/> on the thread pool when missing; concurrent callers share one load.
    /// <paramref name="cost"/> is what the entry counts against the bound (an upper limit of its size).
    /// </summary>
    public async Task<byte[]> GetOrLoadAsync(string key, long length, DateTime modified, long cost, Func<byte[]> load)
    {
        var entry = Acquire(key, length, modified, cost, () => Task.Run(load));
        try
        {
            return await entry.Bytes.Value.ConfigureAwait(false);
        }
        catch
        {
            Forget(key, entry);
            throw;
        }
    }

    private Entry Acquire(string key, long length, DateTime modified, long cost, Func<Task<byte[]>> load)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var entry) || entry.Length != length || entry.Modified != modified)
            {
                if (entry is not null)
                {
                    _entries.Remove(key);
                    _totalBytes -= entry.Cost;
                }

                while (_totalBytes + cost > maxTotalBytes && _entries.Count > 0)
                {
                    var oldest = _entries.MinBy(e => e.Value.LastUse);
                    _entries.Remove(oldest.Key);
                    _totalBytes -= oldest.Value.Cost;
                }

                entry = new Entry(length, modified, cost, new Lazy<Task<byte[]>>(load, LazyThreadSafetyMode.ExecutionAndPublication));
                _entries[key] = entry;
                _totalBytes += cost;
            }

            entry.LastUse = ++_uses;
            return entry;
        }
    }

    private void Forget(string key, Entry entry)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var current) && ReferenceEquals(current, entry))
            {
                _entries.Remove(key);
                _totalBytes -= entry.Cost;
            }
        }
    }
}
