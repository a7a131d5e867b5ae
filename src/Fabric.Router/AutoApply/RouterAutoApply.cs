using System.Globalization;
using System.Threading.Channels;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Registry.Changes;
using Fabric.Router.Jobs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fabric.Router.AutoApply;

/// <summary>Keeps routers in step with the instances: an instance added, removed or re-addressed on a network the
/// router carries (a registry change of its <c>ip</c> or <c>network</c>, whatever made it: the API, an instance job)
/// queues a <c>router-apply</c> job on every router (not retired, with an SSH target and a pinned host key), with the instance's unfinished job
/// as its <c>cause</c> and what changed as its <c>reason</c>. Changes are gathered for <see cref="SettleDelay"/> (ten
/// instances made at once are one apply) and a router that already has a <c>router-apply</c> job waiting in its queue
/// gets no other (it plans when it runs, so it applies every change made before). A migration changes neither address
/// nor network: it queues nothing. Off with <c>Fabric:Router:AutoApply=false</c>.</summary>
internal sealed partial class RouterAutoApply : BackgroundService
{
    /// <summary>How long changes are gathered before the applies are queued (also the time an instance's own job has to
    /// be queued after the registry write that made the instance, so it can be named as the cause).</summary>
    public static readonly TimeSpan SettleDelay = TimeSpan.FromSeconds(1);

    private readonly Channel<NodeChange> _changes = Channel.CreateUnbounded<NodeChange>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IRegistry _registry;
    private readonly IJobService _jobs;
    private readonly RouterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private IDisposable? _subscription;
    private long _rounds;

    public RouterAutoApply(IRegistry registry, IJobService jobs, IOptions<RouterOptions> options, TimeProvider time, ILogger<RouterAutoApply> logger)
    {
        _registry = registry;
        _jobs = jobs;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>Gatherings handled (for tests and diagnostics): each ends with zero or more jobs queued.</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.AutoApply)
        {
            _subscription = _registry.Subscribe(OnChanged);
        }

        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        _changes.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _subscription?.Dispose();
        base.Dispose();
    }

    /// <summary>On the registry's writer: only a cheap filter and a queue.</summary>
    private void OnChanged(IReadOnlyList<NodeChange> changes)
    {
        foreach (var change in changes)
        {
            if (Readdressed(change))
            {
                _changes.Writer.TryWrite(change);
            }
        }
    }

    /// <summary>An instance that appeared with an address, went away with one, or whose address or network changed.</summary>
    internal static bool Readdressed(NodeChange change)
    {
        var before = change.Before is { Role: NodeRole.Instance } b ? (b.Ip, b.Network) : (null, null);
        var after = change.After is { Role: NodeRole.Instance } a ? (a.Ip, a.Network) : (null, null);
        return !Equals(before.Ip, after.Ip) || !string.Equals(before.Network, after.Network, StringComparison.OrdinalIgnoreCase);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _changes.Reader.WaitToReadAsync(stoppingToken))
            {
                await Task.Delay(SettleDelay, _time, stoppingToken);
                var gathered = new List<NodeChange>();
                while (_changes.Reader.TryRead(out var change))
                {
                    gathered.Add(change);
                }

                try
                {
                    await QueueAsync(gathered, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Log.Failed(_logger, e);
                }

                Interlocked.Increment(ref _rounds);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task QueueAsync(IReadOnlyList<NodeChange> gathered, CancellationToken cancellationToken)
    {
        var routed = _registry.ListNetworks().Where(n => n.Kind.IsRouted()).Select(n => n.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var relevant = gathered.Where(c => OnRouted(c.Before) || OnRouted(c.After)).ToList();
        if (relevant.Count == 0)
        {
            return;
        }

        bool OnRouted(Node? node) => node is { Role: NodeRole.Instance, Network: { } network } && routed.Contains(network);

        long? cause = null;
        foreach (var name in relevant.Select(c => c.Name).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var jobs = await _jobs.ListAsync(new JobQuery(Node: name, Limit: 20), cancellationToken);
            if (jobs.Where(j => !j.IsFinished && !string.Equals(j.Kind, RouterApplyJobHandler.KindName, StringComparison.Ordinal)).MaxBy(j => j.Id) is { } job)
            {
                cause = job.Id;
                break;
            }
        }

        var reason = Reason(relevant);
        foreach (var router in _registry.ListNodes(NodeRole.Router))
        {
            if (router.State == NodeState.Retired || RouterSync.TargetOf(router) is not { PinnedHostKey.Length: > 0 })
            {
                continue;
            }

            var waiting = await _jobs.ListAsync(new JobQuery(Node: router.Name, State: JobState.Queued), cancellationToken);
            if (waiting.FirstOrDefault(j => j.Kind == RouterApplyJobHandler.KindName) is { } queued)
            {
                Log.Coalesced(_logger, router.Name, queued.Id);
                continue;
            }

            var arguments = new Dictionary<string, string>(StringComparer.Ordinal) { [RouterApplyJobHandler.ReasonArgument] = reason };
            if (cause is { } id)
            {
                arguments[RouterApplyJobHandler.CauseArgument] = id.ToString(CultureInfo.InvariantCulture);
            }

            var result = await _jobs.EnqueueAsync(new NewJob(RouterApplyJobHandler.KindName, router.Name, arguments, Actor.Appliance.ToString()), cancellationToken);
            if (result.Succeeded)
            {
                Log.Queued(_logger, router.Name, result.Value!.Id, reason);
            }
            else
            {
                Log.NotQueued(_logger, router.Name, result.Error!.ToString());
            }
        }
    }

    /// <summary><c>instance web1 added (203.0.113.10 on pub1); instance web2 removed</c>, at most a few named.</summary>
    internal static string Reason(IReadOnlyList<NodeChange> changes)
    {
        const int Named = 5;
        static string Where(Node n) => $"{n.Ip?.ToString() ?? "no address"} on {n.Network ?? "no network"}";
        var parts = changes.Take(Named).Select(c => (c.Before, c.After) switch
        {
            (null, { } a) => $"instance {a.Name} added ({Where(a)})",
            ({ } b, null) => $"instance {b.Name} removed ({Where(b)})",
            ({ } b, { } a) => $"instance {a.Name} re-addressed ({Where(b)} -> {Where(a)})",
            _ => "a change",
        });
        var more = changes.Count > Named ? $"; and {(changes.Count - Named).ToString(CultureInfo.InvariantCulture)} more" : "";
        return string.Join("; ", parts) + more;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9110, Level = LogLevel.Information, Message = "Queued router-apply job {Job} on {Router}: {Reason}")]
        public static partial void Queued(ILogger logger, string router, long job, string reason);

        [LoggerMessage(EventId = 9111, Level = LogLevel.Debug, Message = "Router {Router} has router-apply job {Job} waiting already; it applies this change too")]
        public static partial void Coalesced(ILogger logger, string router, long job);

        [LoggerMessage(EventId = 9112, Level = LogLevel.Error, Message = "Could not queue a router-apply job on {Router}: {Reason}")]
        public static partial void NotQueued(ILogger logger, string router, string reason);

        [LoggerMessage(EventId = 9113, Level = LogLevel.Error, Message = "Queueing the router applies after an instance change failed")]
        public static partial void Failed(ILogger logger, Exception exception);
    }
}
