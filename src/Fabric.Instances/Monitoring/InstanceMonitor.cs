using System.Collections.Concurrent;
using System.Text;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Core.Lifecycle;
using Fabric.Instances.Hypervisor;
using Fabric.Instances.Jobs;
using Fabric.Instances.Lifecycle;
using Fabric.Instances.Settings;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fabric.Instances.Monitoring;

/// <summary>Looks for the qemu of every <c>running</c> or <c>migrating</c> instance on its hypervisor every
/// <c>Fabric:Instances:CheckInterval</c>. A qemu gone (its pid file names no live process) moves the instance to
/// <c>failed</c> as the appliance (<see cref="InstanceTrigger.ProcessLost"/>), with an <c>instance-process-lost</c>
/// event naming the hypervisor and the console's last lines. An instance that a job holds (queued or running: a stop,
/// a migration whose source goes away on purpose) is never judged. A hypervisor that cannot be asked changes nothing
/// (the guest may be fine): one <c>instance-unchecked</c> event, until it answers again.</summary>
internal sealed partial class InstanceMonitor(
    IRegistry registry, IHypervisorDriver driver, IJobService jobs, IOptions<InstanceOptions> options, TimeProvider time, InstanceMetrics metrics, ILogger<InstanceMonitor> logger)
    : PeriodicRounds(options.Value.CheckInterval, time, firstRoundAtStart: false)
{
    /// <summary>How much of the console's end goes into the event.</summary>
    public const int ConsoleBytes = 2048;

    /// <summary>How many of the console's last lines go into the event.</summary>
    public const int ConsoleLines = 5;

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Instances whose hypervisor could not be asked, so its event is recorded once.</summary>
    private readonly ConcurrentDictionary<string, bool> _unchecked = new(StringComparer.OrdinalIgnoreCase);
    private long _rounds;

    /// <summary>Rounds of checks completed (for tests and diagnostics).</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    protected override Task RoundAsync(CancellationToken cancellationToken) => CheckAllAsync(cancellationToken);

    protected override void RoundFailed(Exception exception) => Log.RoundFailed(logger, exception);

    /// <summary>One round: every running or migrating instance that no job holds, all at once.</summary>
    public async Task CheckAllAsync(CancellationToken cancellationToken = default)
    {
        var held = await HeldAsync(cancellationToken);
        var instances = registry.ListNodes(NodeRole.Instance)
            .Where(n => n.Instance is { State: InstanceState.Running or InstanceState.Migrating, Hypervisor: not null } && !held.Holds(n))
            .ToList();
        foreach (var gone in _unchecked.Keys.Where(k => !instances.Any(n => string.Equals(n.Name, k, StringComparison.OrdinalIgnoreCase))).ToList())
        {
            _unchecked.TryRemove(gone, out _);
        }

        await Task.WhenAll(instances.Select(n => CheckAsync(n, cancellationToken)));
        Interlocked.Increment(ref _rounds);
    }

    /// <summary>The instances a queued or running job holds: those the job is on, and every instance of a hypervisor
    /// being evacuated (its migrations are that job's, run without a job of their own, and each source qemu goes away on
    /// purpose before the registry names the target).</summary>
    private async Task<Held> HeldAsync(CancellationToken cancellationToken)
    {
        var held = new Held(new HashSet<string>(StringComparer.OrdinalIgnoreCase), new HashSet<string>(StringComparer.OrdinalIgnoreCase));
        foreach (var state in new[] { JobState.Queued, JobState.Running })
        {
            foreach (var job in await jobs.ListAsync(new JobQuery(State: state, Limit: 10_000), cancellationToken))
            {
                if (job.Node is { } node)
                {
                    (job.Kind == InstanceJobKinds.Evacuate ? held.Hypervisors : held.Nodes).Add(node);
                }
            }
        }

        return held;
    }

    private sealed record Held(HashSet<string> Nodes, HashSet<string> Hypervisors)
    {
        public bool Holds(Node instance) =>
            Nodes.Contains(instance.Name) || (instance.Instance?.Hypervisor is { } hypervisor && Hypervisors.Contains(hypervisor));
    }

    private async Task CheckAsync(Node instance, CancellationToken cancellationToken)
    {
        var hypervisor = instance.Instance!.Hypervisor!;
        bool running;
        using (var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            bounded.CancelAfter(AskTimeout);
            try
            {
                running = await driver.IsRunningAsync(hypervisor, instance.Name, bounded.Token);
            }
            catch (Exception e) when (InstanceWork.IsHypervisorFailure(e) || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                await UncheckedAsync(instance, hypervisor, e is OperationCanceledException ? $"no answer within {AskTimeout.TotalSeconds:0} s" : e.Message, cancellationToken);
                return;
            }
        }

        _unchecked.TryRemove(instance.Name, out _);
        if (running)
        {
            return;
        }

        // Between the look and now a job may have taken the instance (a stop, a migration that ended elsewhere): judge
        // only what is still as it was when it was looked at.
        var now = registry.FindNode(instance.Name);
        if (now?.Instance is not { } spec || spec.State != instance.Instance.State || !string.Equals(spec.Hypervisor, hypervisor, StringComparison.OrdinalIgnoreCase)
            || (await HeldAsync(cancellationToken)).Holds(now))
        {
            return;
        }

        await LostAsync(now, hypervisor, cancellationToken);
    }

    private async Task LostAsync(Node instance, string hypervisor, CancellationToken cancellationToken)
    {
        var from = instance.Instance!.State!.Value;
        var decision = InstanceLifecycle.Decide(from, InstanceTrigger.ProcessLost, ActorKind.Appliance);
        if (!decision.Allowed)
        {
            return;
        }

        var console = await ConsoleTailAsync(instance.Name, hypervisor, cancellationToken);
        var message = $"qemu of {instance.Name} is gone from {hypervisor}"
            + (console.Length > 0 ? $"; its console ended with: {console}" : "; its console is empty or gone");
        var moved = await registry.TransitionInstanceAsync(instance.Name, from, decision.Next, null, $"qemu gone from {hypervisor}", Actor.Appliance, CancellationToken.None);
        if (!moved.Succeeded)
        {
            // Someone else moved it first (a stop, a job): theirs is the newer word.
            return;
        }

        await registry.RecordAsync(instance.Name, EventKind.InstanceProcessLost, message, Actor.Appliance, CancellationToken.None);
        metrics.Lost(hypervisor);
        Log.ProcessLost(logger, instance.Name, hypervisor);
    }

    /// <summary>The console's last lines as one line (control characters dropped), or empty when it cannot be read.</summary>
    private async Task<string> ConsoleTailAsync(string instance, string hypervisor, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await driver.ConsoleAsync(hypervisor, instance, ConsoleBytes, cancellationToken);
        }
        catch (Exception e) when (InstanceWork.IsHypervisorFailure(e))
        {
            return "";
        }

        var lines = text.Split('\n').Select(l => new string([.. l.Where(c => !char.IsControl(c))]).Trim()).Where(l => l.Length > 0).TakeLast(ConsoleLines);
        return string.Join(" | ", lines);
    }

    private async Task UncheckedAsync(Node instance, string hypervisor, string why, CancellationToken cancellationToken)
    {
        if (!_unchecked.TryAdd(instance.Name, true))
        {
            return;
        }

        Log.Unchecked(logger, instance.Name, hypervisor, why);
        await registry.RecordAsync(instance.Name, EventKind.InstanceUnchecked, $"cannot ask {hypervisor} whether qemu of {instance.Name} runs: {why}; its state stays {instance.Instance!.State!.Value.ToWire()}",
            Actor.Appliance, cancellationToken);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9201, Level = LogLevel.Warning, Message = "Instance {Instance}: qemu gone from hypervisor {Hypervisor}; the instance is failed")]
        public static partial void ProcessLost(ILogger logger, string instance, string hypervisor);

        [LoggerMessage(EventId = 9202, Level = LogLevel.Information, Message = "Instance {Instance}: cannot ask hypervisor {Hypervisor} whether its qemu runs: {Reason}")]
        public static partial void Unchecked(ILogger logger, string instance, string hypervisor, string reason);

        [LoggerMessage(EventId = 9203, Level = LogLevel.Error, Message = "An instance check round failed")]
        public static partial void RoundFailed(ILogger logger, Exception exception);
    }
}
