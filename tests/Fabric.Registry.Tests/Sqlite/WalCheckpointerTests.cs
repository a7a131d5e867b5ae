using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Registry.Sqlite;
using Microsoft.Extensions.Logging;

namespace Fabric.Registry.Tests.Sqlite;

public sealed class WalCheckpointerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Written_BelowThenPastThreshold_RunsOnceOnlyPastIt()
    {
        int runs = 0;
        using var checkpointer = new WalCheckpointer(() => (0, Interlocked.Increment(ref runs), 0), null, 100, null);

        for (int i = 0; i < 99; i++)
        {
            checkpointer.Written(1);
        }

        checkpointer.Written(1);
        await Until(() => checkpointer.Runs >= 1);

        // The single loop handles requests in order: had the first 99 pages asked for a run, it would have come first.
        Assert.Equal(1, checkpointer.Runs);
        Assert.Equal(1, Volatile.Read(ref runs));
    }

    [Fact]
    public async Task Written_ManyThreadsPastThreshold_NeverRunsTwoAtOnce()
    {
        int inside = 0;
        int most = 0;
        using var checkpointer = new WalCheckpointer(() =>
        {
            int now = Interlocked.Increment(ref inside);
            InterlockedMax(ref most, now);
            Thread.Sleep(2);
            Interlocked.Decrement(ref inside);
            return (0, 0, 0);
        }, null, 10, null);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < 500; i++)
            {
                checkpointer.Written(10);
            }
        })));
        await Until(() => checkpointer.Runs >= 1);

        Assert.Equal(1, Volatile.Read(ref most));
        Assert.InRange(checkpointer.Runs, 1, 2000);
    }

    [Fact]
    public async Task Checkpoint_Throws_IsLoggedCountedAndTheNextRunWorks()
    {
        int calls = 0;
        var logger = new ListLogger();
        using var checkpointer = new WalCheckpointer(
            () => Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("disk I/O error") : (0, 5, 5),
            null,
            1,
            logger);

        checkpointer.Written(1);
        await Until(() => checkpointer.Failures == 1);
        checkpointer.Written(1);
        await Until(() => checkpointer.Runs == 1);

        Assert.Equal(1, checkpointer.Failures);
        var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
        Assert.Equal(4102, warning.EventId);
        Assert.Contains("checkpoint failed", warning.Message, StringComparison.Ordinal);
        Assert.Equal("disk I/O error", warning.Exception?.Message);
    }

    [Fact]
    public void Dispose_WithRunPending_StopsTheLoopAndClosesItsConnection()
    {
        var closed = new Closed();
        var checkpointer = new WalCheckpointer(() => (0, 0, 0), closed, 1, null);
        checkpointer.Written(1);

        checkpointer.Dispose();
        long runs = checkpointer.Runs;
        checkpointer.Written(1);

        Assert.True(closed.Disposed);
        Assert.InRange(runs, 0, 1);
        Assert.Equal(runs, checkpointer.Runs);
    }

    [Fact]
    public async Task Store_WritesPastThreshold_CheckpointsOffTheWriterAndKeepsEveryWrite()
    {
        using var dir = new TempDir();
        var store = SqliteRegistryStore.Open(dir.Database, checkpointPages: 8);
        using (var registry = FabricRegistry.Open(store))
        {
            for (int i = 0; i < 40; i++)
            {
                var added = await registry.AddNodeAsync(new NodeInput { Name = $"n{i}", Role = "hardware", Macs = [$"52:54:00:00:01:{i:x2}"] }, Actor.Admin);
                Assert.True(added.Succeeded);
            }

            await Until(() => store.Checkpointer!.Runs >= 1);
            Assert.Equal(0, store.Checkpointer!.Failures);
        }

        using var reopened = FabricRegistry.Open(dir.Database);
        Assert.Equal(40, reopened.ListNodes().Count);
    }

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the checkpointer did not get there in time");
            await Task.Delay(10);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private sealed class Closed : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }

    private sealed class ListLogger : ILogger
    {
        private readonly List<(LogLevel Level, int EventId, string Message, Exception? Exception)> _entries = [];

        public IReadOnlyList<(LogLevel Level, int EventId, string Message, Exception? Exception)> Entries
        {
            get
            {
                lock (_entries)
                {
                    return [.. _entries];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_entries)
            {
                _entries.Add((logLevel, eventId.Id, formatter(state, exception), exception));
            }
        }
    }
}
