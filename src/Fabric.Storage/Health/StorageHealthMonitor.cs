using System.Collections.Concurrent;
using System.Globalization;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Remote;
using Fabric.Remote.Commands;
using Fabric.Storage.Exports;
using Fabric.Storage.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fabric.Storage.Health;

/// <summary>Checks every storage node (not retired, with an SSH target and a pinned host key) every
/// <c>Fabric:Storage:CheckInterval</c> by running <c>true</c> on its pooled connection, all nodes at once, each check
/// bounded by <see cref="StorageHealthOptions.CheckTimeout"/>. A node that stops answering becomes <c>down</c> (a
/// <c>storage-down</c> event with the reason); when it answers again it becomes <c>ok</c> (<c>storage-up</c>) and its
/// repair is queued: first its <c>storage-sync</c> job, then an <c>md-repair</c> job on every hardware node that is up
/// with an <c>aoe-md</c> root whose half lives on the node's shelf (each waits for the sync).</summary>
internal sealed partial class StorageHealthMonitor : PeriodicRounds, IStorageHealth
{
    /// <summary>The check: a command every POSIX system has, that reads and writes nothing.</summary>
    internal static readonly RemoteCommand Probe = RemoteCommand.Of("true");

    private readonly ConcurrentDictionary<string, StorageNodeHealth> _health = new(StringComparer.OrdinalIgnoreCase);
    private readonly IRegistry _registry;
    private readonly IRemoteHosts _hosts;
    private readonly IJobService _jobs;
    private readonly StorageHealthOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly StorageMetrics _metrics;
    private long _rounds;

    public StorageHealthMonitor(IRegistry registry, IRemoteHosts hosts, IJobService jobs, IOptions<StorageHealthOptions> options, TimeProvider time, StorageMetrics metrics, ILogger<StorageHealthMonitor> logger)
        : base(options.Value.CheckInterval, time, firstRoundAtStart: true)
    {
        _registry = registry;
        _hosts = hosts;
        _jobs = jobs;
        _options = options.Value;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        metrics.Observe(() => _health.Values.Count(h => h.Health == StorageHealth.Down));
    }

    /// <summary>Rounds of checks completed (for tests and diagnostics).</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    public StorageNodeHealth Of(string node) => _health.TryGetValue(node, out var health) ? health : StorageNodeHealth.Unknown;

    protected override Task RoundAsync(CancellationToken cancellationToken) => CheckAllAsync(cancellationToken);

    protected override void RoundFailed(Exception exception) => Log.RoundFailed(_logger, exception);

    /// <summary>One round: every checkable storage node at once.</summary>
    public async Task CheckAllAsync(CancellationToken cancellationToken = default)
    {
        var storage = _registry.ListNodes(NodeRole.Storage);
        foreach (var gone in _health.Keys.Where(name => !storage.Any(n => string.Equals(n.Name, name, StringComparison.OrdinalIgnoreCase))).ToList())
        {
            _health.TryRemove(gone, out _);
        }

        var checkable = new List<Node>();
        foreach (var node in storage)
        {
            if (node.State != NodeState.Retired && ExportSync.TargetOf(node) is { PinnedHostKey: { Length: > 0 } })
            {
                checkable.Add(node);
            }
            else
            {
                _health.TryRemove(node.Name, out _);
            }
        }

        await Task.WhenAll(checkable.Select(n => CheckAsync(n, cancellationToken)));
        Interlocked.Increment(ref _rounds);
    }

    private async Task CheckAsync(Node node, CancellationToken cancellationToken)
    {
        var target = ExportSync.TargetOf(node)!;
        var timeout = _options.CheckTimeout;
        string? failure = null;
        using var deadline = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            var result = await _hosts.For(target).RunAsync(Probe, new RemoteRunOptions(timeout), linked.Token);
            if (!result.Succeeded)
            {
                failure = $"{target}: '{Probe}' exited {result.ExitCode}";
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            failure = $"{target}: no answer within {timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s";
        }
        catch (RemoteHostException e)
        {
            failure = e.Message;
        }
        catch (RemoteCommandTimeoutException e)
        {
            failure = e.Message;
        }

        _metrics.Checked(failure is null);
        await ObserveAsync(node, failure, cancellationToken);
    }

    /// <summary>Records a transition before it is shown: what the API shows as down or ok has its event written, and a
    /// transition whose event or repair could not be written is tried again by the next round.</summary>
    private async Task ObserveAsync(Node node, string? failure, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var previous = _health.TryGetValue(node.Name, out var known) ? known : await RememberedAsync(node.Name, cancellationToken);
        if (failure is null)
        {
            if (previous.Health == StorageHealth.Down)
            {
                var downFor = previous.Since is { } since ? $" after {FormatDuration(now - since)} down" : "";
                Log.Up(_logger, node.Name);
                await _registry.RecordAsync(node.Name, EventKind.StorageUp, $"answers again{downFor}; syncing its exports and repairing md roots on it", Actor.Appliance, cancellationToken);
                await QueueRepairAsync(node, cancellationToken);
            }

            _health[node.Name] = previous.Health == StorageHealth.Ok ? previous with { CheckedAt = now } : new StorageNodeHealth(StorageHealth.Ok, now, null, now);
            return;
        }

        if (previous.Health == StorageHealth.Down)
        {
            _health[node.Name] = previous with { Reason = failure, CheckedAt = now };
            return;
        }

        Log.Down(_logger, node.Name, failure);
        await _registry.RecordAsync(node.Name, EventKind.StorageDown, failure, Actor.Appliance, cancellationToken);
        _health[node.Name] = new StorageNodeHealth(StorageHealth.Down, now, failure, now);
    }

    /// <summary>The health the event log remembers from before the appliance started: <c>down</c> when the node's newest
    /// storage event is <c>storage-down</c> (so a node that came back while the appliance was stopped is still repaired),
    /// otherwise unknown.</summary>
    private async Task<StorageNodeHealth> RememberedAsync(string node, CancellationToken cancellationToken)
    {
        var events = await _registry.ListEventsAsync(node, cancellationToken: cancellationToken);
        var last = events.Value?.LastOrDefault(e => e.Kind == EventKind.StorageDown || e.Kind == EventKind.StorageUp); // oldest first
        return last is not null && last.Kind == EventKind.StorageDown
            ? new StorageNodeHealth(StorageHealth.Down, last.At, last.Message)
            : StorageNodeHealth.Unknown;
    }

    /// <summary>The repair of a node that is back: its exports first, then the md roots that lost their half on it.</summary>
    private async Task QueueRepairAsync(Node node, CancellationToken cancellationToken)
    {
        var actor = Actor.Appliance.ToString();
        var sync = await _jobs.EnqueueAsync(
            new NewJob(StorageSyncJobHandler.KindName, node.Name, new Dictionary<string, string>(StringComparer.Ordinal) { ["dryRun"] = "false" }, actor),
            cancellationToken);
        if (!sync.Succeeded)
        {
            Log.NotQueued(_logger, StorageSyncJobHandler.KindName, node.Name, sync.Error!.ToString());
            return;
        }

        if (node.Storage?.AoeShelf is not int shelf)
        {
            return;
        }

        foreach (var (hardware, target) in MdRepairJobHandler.RootsOnShelf(_registry.ListNodes(NodeRole.Hardware), shelf))
        {
            var arguments = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["target"] = target.ToString(),
                ["after"] = sync.Value!.Id.ToString(CultureInfo.InvariantCulture),
            };
            var repair = await _jobs.EnqueueAsync(new NewJob(MdRepairJobHandler.KindName, hardware.Name, arguments, actor), cancellationToken);
            if (!repair.Succeeded)
            {
                Log.NotQueued(_logger, MdRepairJobHandler.KindName, hardware.Name, repair.Error!.ToString());
            }
        }
    }

    private static string FormatDuration(TimeSpan duration) =>
        duration.TotalSeconds < 120
            ? $"{duration.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s"
            : $"{duration.TotalMinutes.ToString("0", CultureInfo.InvariantCulture)} min";

    private static partial class Log
    {
        [LoggerMessage(EventId = 8100, Level = LogLevel.Warning, Message = "Storage node {Node} is down: {Reason}")]
        public static partial void Down(ILogger logger, string node, string reason);

        [LoggerMessage(EventId = 8101, Level = LogLevel.Information, Message = "Storage node {Node} answers again; queueing its repair")]
        public static partial void Up(ILogger logger, string node);

        [LoggerMessage(EventId = 8102, Level = LogLevel.Error, Message = "Could not queue a {Kind} job on {Node}: {Reason}")]
        public static partial void NotQueued(ILogger logger, string kind, string node, string reason);

        [LoggerMessage(EventId = 8103, Level = LogLevel.Error, Message = "A storage health round failed; the next runs at its interval")]
        public static partial void RoundFailed(ILogger logger, Exception exception);
    }
}
