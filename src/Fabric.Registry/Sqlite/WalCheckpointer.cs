using System.Threading.Channels;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fabric.Registry.Sqlite;

/// <summary>Copies the registry's write-ahead log into the database on a connection and a thread of its own, so no
/// write group waits for it. SQLite's automatic checkpoint runs inside the commit that crosses its threshold: that
/// group's callers (boot scripts) wait for the copy and the database's fsync. The writer's connection has it off
/// (<c>wal_autocheckpoint=0</c>) and tells this class how many pages each commit wrote; past
/// <see cref="ThresholdPages"/> a PASSIVE checkpoint runs here. PASSIVE never blocks the writer and the writer never
/// blocks it: it copies the frames committed when it starts. One checkpoint at a time; requests made while one runs
/// become one more run. A failed checkpoint is logged and the WAL keeps every commit (durability is the WAL's fsync at
/// each commit, unchanged); the next threshold tries again.</summary>
internal sealed partial class WalCheckpointer : IDisposable
{
    /// <summary>SQLite's own default for <c>wal_autocheckpoint</c>.</summary>
    public const int DefaultThresholdPages = 1000;

    private readonly Func<(int Busy, int Frames, int Copied)> _checkpoint;
    private readonly IDisposable? _connection;
    private readonly ILogger _logger;
    private readonly Channel<bool> _requests = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly Task _loop;
    private long _pending;
    private long _runs;
    private long _failures;

    /// <summary>A checkpointer running <paramref name="checkpoint"/> (which owns <paramref name="connection"/>, closed on
    /// dispose) each time <paramref name="thresholdPages"/> pages have been written.</summary>
    internal WalCheckpointer(Func<(int Busy, int Frames, int Copied)> checkpoint, IDisposable? connection, int thresholdPages, ILogger? logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(thresholdPages, 1);
        _checkpoint = checkpoint;
        _connection = connection;
        ThresholdPages = thresholdPages;
        _logger = logger ?? NullLogger.Instance;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>A checkpointer with a connection of its own to the database of <paramref name="connectionString"/>.</summary>
    public static WalCheckpointer Open(string connectionString, int thresholdPages = DefaultThresholdPages, ILogger? logger = null)
    {
        var connection = SqliteRegistryStore.OpenConnection(connectionString);
        try
        {
            // (busy, frames in the WAL, frames copied): busy only when another connection holds the checkpoint lock.
            return new WalCheckpointer(() => connection.QuerySingle<(int, int, int)>("PRAGMA wal_checkpoint(PASSIVE)"), connection, thresholdPages, logger);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public int ThresholdPages { get; }

    /// <summary>Checkpoints that ran to the end.</summary>
    public long Runs => Interlocked.Read(ref _runs);

    /// <summary>Checkpoints that failed (each logged).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Called by the writer after each commit with the pages it wrote to the WAL; requests a checkpoint once
    /// <see cref="ThresholdPages"/> have been written since the last request. Never blocks.</summary>
    public void Written(int pages)
    {
        if (pages <= 0 || Interlocked.Add(ref _pending, pages) < ThresholdPages)
        {
            return;
        }

        Interlocked.Exchange(ref _pending, 0);
        _requests.Writer.TryWrite(true);
    }

    /// <summary>Stops the loop (a running checkpoint finishes first) and closes the connection.</summary>
    public void Dispose()
    {
        _requests.Writer.TryComplete();
        _loop.Wait();
        _connection?.Dispose();
    }

    private async Task LoopAsync()
    {
        await foreach (var _ in _requests.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                var (busy, frames, copied) = _checkpoint();
                Interlocked.Increment(ref _runs);
                Log.Checkpointed(_logger, busy != 0, frames, copied);
            }
            catch (Exception e)
            {
                Interlocked.Increment(ref _failures);
                Log.CheckpointFailed(_logger, e);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4101, Level = LogLevel.Debug, Message = "Registry WAL checkpoint: busy {Busy}, {Frames} frames in the log, {Copied} copied")]
        public static partial void Checkpointed(ILogger logger, bool busy, int frames, int copied);

        [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Registry WAL checkpoint failed; every commit stays in the log and the next one tries again")]
        public static partial void CheckpointFailed(ILogger logger, Exception exception);
    }
}
