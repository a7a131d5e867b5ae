using System.Collections.Concurrent;
using System.Globalization;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Registry.RouterRules;
using Fabric.Remote;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fabric.Router.Drift;

/// <summary>Plans every router (role <c>router</c>, not retired, with an SSH target and a pinned host key) every
/// <c>Fabric:Router:CheckInterval</c>, all at once, each bounded by <see cref="RouterOptions.CheckTimeout"/>; it reads
/// the router and changes nothing. A non-empty plan is drift: a <c>router-drift</c> event naming the changes each time
/// they change (not each check), and <c>router-in-sync</c> once the plan is empty again (after <c>fabric router
/// apply</c>). A router that cannot be read gets one <c>router-unreachable</c> event until it is read again, a count in
/// <c>fabric_router_check_failures_total</c>, and keeps its last known drift. Nothing is written to the registry but
/// those events. A router that an apply job is applying is not read (<see cref="RouterGate"/>): it keeps its last state
/// until the next round.</summary>
internal sealed partial class RouterDriftMonitor : PeriodicRounds, IRouterDrift
{
    /// <summary>At most this many changes are named in an event; the count is always there.</summary>
    private const int NamedChanges = 10;

    private readonly ConcurrentDictionary<string, RouterDriftState> _drift = new(StringComparer.OrdinalIgnoreCase);
    private readonly IRegistry _registry;
    private readonly IRemoteHosts _hosts;
    private readonly IRouterRuleStore? _rules;
    private readonly RouterOptions _options;
    private readonly TimeProvider _time;
    private readonly RouterMetrics _metrics;
    private readonly ILogger _logger;
    private readonly RouterGate _gate;
    private long _rounds;

    public RouterDriftMonitor(
        IRegistry registry, IRemoteHosts hosts, IOptions<RouterOptions> options, TimeProvider time, RouterMetrics metrics, ILogger<RouterDriftMonitor> logger,
        IRouterRuleStore? rules = null, RouterGate? gate = null)
        : base(options.Value.CheckInterval, time, firstRoundAtStart: true)
    {
        _gate = gate ?? new RouterGate();
        _registry = registry;
        _hosts = hosts;
        _rules = rules;
        _options = options.Value;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        metrics.Observe(() => _drift
            .Where(d => d.Value.Status != RouterDriftStatus.Unknown)
            .Select(d => (d.Key, d.Value.Changes.Count)));
    }

    /// <summary>Rounds of checks completed (for tests and diagnostics).</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    public RouterDriftState Of(string router) => _drift.TryGetValue(router, out var state) ? state : RouterDriftState.Unknown;

    protected override Task RoundAsync(CancellationToken cancellationToken) => CheckAllAsync(cancellationToken);

    protected override void RoundFailed(Exception exception) => Log.RoundFailed(_logger, exception);

    /// <summary>One round: every checkable router at once.</summary>
    public async Task CheckAllAsync(CancellationToken cancellationToken = default)
    {
        var routers = _registry.ListNodes(NodeRole.Router);
        var checkable = routers.Where(n => n.State != NodeState.Retired && RouterSync.TargetOf(n) is { PinnedHostKey: { Length: > 0 } }).ToList();
        foreach (var gone in _drift.Keys.Where(name => !checkable.Any(n => string.Equals(n.Name, name, StringComparison.OrdinalIgnoreCase))).ToList())
        {
            _drift.TryRemove(gone, out _);
        }

        await Task.WhenAll(checkable.Select(n => CheckAsync(n, cancellationToken)));
        Interlocked.Increment(ref _rounds);
    }

    private async Task CheckAsync(Node router, CancellationToken cancellationToken)
    {
        using var held = _gate.TryEnterCheck(router.Name);
        if (held is null)
        {
            // An apply of this router runs: it is not read now (it would be seen half applied); the next round checks it.
            Log.SkippedWhileApplying(_logger, router.Name);
            return;
        }

        var target = RouterSync.TargetOf(router)!;
        var timeout = _options.CheckTimeout;
        using var deadline = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        IReadOnlyList<string>? changes = null;
        string? failure = null;
        try
        {
            var plan = await RouterSync.PlanAsync(_hosts.For(target), RouterSync.Desired(_registry, router, _rules?.List()), linked.Token);
            changes = [.. plan.Actions.Select(a => a.Description)];
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            failure = $"{target}: no answer within {timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s";
        }
        catch (Exception e) when (e is RemoteHostException or RemoteCommandTimeoutException or RemoteCommandFailedException or FormatException)
        {
            failure = e.Message;
        }

        if (failure is not null)
        {
            _metrics.CheckFailed(router.Name);
        }

        await ObserveAsync(router.Name, changes, failure, cancellationToken);
    }

    /// <summary>Records a change of drift before it is shown, so what the page marks has its event.</summary>
    private async Task ObserveAsync(string router, IReadOnlyList<string>? changes, string? failure, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var previous = Of(router);
        if (changes is null)
        {
            if (previous.Unreachable is null)
            {
                Log.Unreachable(_logger, router, failure!);
                await _registry.RecordAsync(router, EventKind.RouterUnreachable, $"the drift check could not read the router: {failure}", Actor.Appliance, cancellationToken);
            }

            _drift[router] = previous with { Unreachable = failure, CheckedAt = now };
            return;
        }

        if (changes.Count == 0)
        {
            if (previous.Status == RouterDriftStatus.Drift)
            {
                Log.InSync(_logger, router);
                await _registry.RecordAsync(router, EventKind.RouterInSync, "the router matches its plan again", Actor.Appliance, cancellationToken);
            }

            _drift[router] = new RouterDriftState(RouterDriftStatus.InSync, [], previous.Status == RouterDriftStatus.InSync ? previous.Since : now, now);
            return;
        }

        if (previous.Status != RouterDriftStatus.Drift || !previous.Changes.SequenceEqual(changes, StringComparer.Ordinal))
        {
            Log.Drift(_logger, router, changes.Count);
            await _registry.RecordAsync(router, EventKind.RouterDrift, Describe(changes), Actor.Appliance, cancellationToken);
        }

        _drift[router] = new RouterDriftState(RouterDriftStatus.Drift, changes, previous.Status == RouterDriftStatus.Drift ? previous.Since : now, now);
    }

    /// <summary><c>2 changes apply would make: add link eth1.100 (...); set sysctl ...</c>.</summary>
    internal static string Describe(IReadOnlyList<string> changes)
    {
        var named = string.Join("; ", changes.Take(NamedChanges));
        var more = changes.Count > NamedChanges ? $"; and {(changes.Count - NamedChanges).ToString(CultureInfo.InvariantCulture)} more" : "";
        var count = changes.Count == 1 ? "1 change" : $"{changes.Count.ToString(CultureInfo.InvariantCulture)} changes";
        return $"drift: {count} apply would make: {named}{more}";
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9100, Level = LogLevel.Warning, Message = "Router {Router} has drifted from its plan: {Changes} changes")]
        public static partial void Drift(ILogger logger, string router, int changes);

        [LoggerMessage(EventId = 9101, Level = LogLevel.Information, Message = "Router {Router} matches its plan again")]
        public static partial void InSync(ILogger logger, string router);

        [LoggerMessage(EventId = 9102, Level = LogLevel.Warning, Message = "Router {Router} could not be read by the drift check: {Reason}")]
        public static partial void Unreachable(ILogger logger, string router, string reason);

        [LoggerMessage(EventId = 9103, Level = LogLevel.Error, Message = "A router drift round failed; the next runs at its interval")]
        public static partial void RoundFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 9104, Level = LogLevel.Debug, Message = "Router {Router} is being applied; the drift check leaves it for the next round")]
        public static partial void SkippedWhileApplying(ILogger logger, string router);
    }
}
