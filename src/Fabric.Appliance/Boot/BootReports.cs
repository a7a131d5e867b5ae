using System.Globalization;
using Fabric.Api.Contracts;
using Fabric.Appliance.Api;
using Fabric.Appliance.Hosting;
using Fabric.Appliance.Security;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Core.Lifecycle;
using Fabric.Registry;
using Fabric.Registry.Settings;
using Microsoft.Extensions.Options;

namespace Fabric.Appliance.Boot;

/// <summary>Boot reports from nodes (<c>POST /api/v1/nodes/{name}/boot-events</c>): <c>initramfs</c> and
/// <c>root-mounted</c> make a node <c>booting</c>, <c>up</c> makes it <c>up</c>, <c>failed</c> makes it <c>failed</c>, as
/// the lifecycle table says (a report it refuses is a 409 naming <c>state</c>). Each report is an event with its timing
/// and source address. The <c>up</c> report may carry the node's SSH host key: pinned when the node has none, and a
/// different one refuses the report (409 naming <c>sshHostKey</c>, an <c>ssh-host-key-mismatch</c> event).</summary>
public sealed class BootReports(IRegistry registry, AdminToken admin, BootTokens tokens, TimeProvider time)
{
    public static IReadOnlyList<string> Stages => NodeTriggerNames.Stages;

    public const int MaxMessageLength = 2000;

    internal async Task<IResult> ReportAsync(string name, BootEventRequest request, HttpContext context, CancellationToken cancellationToken)
    {
        var token = Authorization.BearerToken(context);
        Actor actor;
        if (admin.Matches(token))
        {
            actor = Actor.Admin;
        }
        else if (tokens.Matches(name, token))
        {
            actor = Actor.Node(name);
        }
        else
        {
            return Problems.Unauthorized(context, token is null
                ? "boot reports need 'Authorization: Bearer TOKEN' with the node's boot token"
                : $"the bearer token is not the boot token of node '{name}'");
        }

        var errors = new List<FieldError>();
        var stage = request.Stage?.Trim().ToLowerInvariant();
        if (!NodeTriggerNames.TryParseStage(stage, out var trigger))
        {
            errors.Add(new FieldError("stage", $"'{request.Stage}' is not a boot stage: {string.Join(", ", Stages)}"));
        }

        if (request.Message is { Length: > MaxMessageLength })
        {
            errors.Add(new FieldError("message", $"a message is at most {MaxMessageLength} characters"));
        }

        if (request.UptimeSeconds is < 0 or > 1e9 || (request.UptimeSeconds is double u && double.IsNaN(u)))
        {
            errors.Add(new FieldError("uptimeSeconds", "uptime is a number of seconds, 0 or more"));
        }

        if (request.SshHostKey is not null)
        {
            if (trigger != NodeTrigger.ReportedUp)
            {
                errors.Add(new FieldError("sshHostKey", "the SSH host key is reported with the 'up' stage only"));
            }
            else if (!SshHostKeyText.TryNormalize(request.SshHostKey, out _, out var reason))
            {
                errors.Add(new FieldError("sshHostKey", reason));
            }
        }

        if (errors.Count > 0)
        {
            return Problems.Fields(400, "The request has invalid fields", errors);
        }

        var node = registry.FindNode(name);
        if (node is null)
        {
            return NodeEndpoints.NotFound(name);
        }

        if (request.SshHostKey is not null)
        {
            // A key other than the pinned one refuses the whole report: the node's state stays as it was.
            var pinned = await registry.PinSshHostKeyAsync(node.Name, request.SshHostKey, actor, cancellationToken);
            if (!pinned.Succeeded)
            {
                return Problems.From(pinned.Error);
            }
        }

        var result = await registry.ApplyAsync(node.Name, trigger, trigger.ReportEvent(), Describe(stage!, request, node, context), actor, cancellationToken);
        return result.Succeeded ? Results.NoContent() : Problems.From(result.Error);
    }

    private string Describe(string stage, BootEventRequest request, Node node, HttpContext context)
    {
        var parts = new List<string> { string.IsNullOrWhiteSpace(request.Message) ? stage : $"{stage}: {request.Message.Trim()}" };
        if (request.UptimeSeconds is double uptime)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"uptime {uptime:0.0} s"));
        }

        if (node.State == NodeState.Booting && registry.StateChangedAt(node.Name) is { } since)
        {
            var elapsed = time.GetUtcNow() - since;
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{elapsed.TotalSeconds:0.0} s since the boot script"));
        }

        var from = context.Connection.RemoteIpAddress;
        if (from is not null)
        {
            parts.Add($"from {(from.IsIPv4MappedToIPv6 ? from.MapToIPv4() : from)}");
        }

        return string.Join("; ", parts);
    }
}

/// <summary>Marks nodes that stay <c>booting</c> longer than <c>Fabric:BootTimeout</c> as <c>failed</c>.</summary>
/// <summary>A background loop that runs <see cref="SweepOnceAsync"/> every <see cref="Interval"/> on the injected clock;
/// a round that fails is logged and the loop goes on.</summary>
internal abstract partial class PeriodicSweep(TimeProvider time, ILogger logger) : BackgroundService
{
    public abstract TimeSpan Interval { get; }

    /// <summary>What the sweep does, for the log.</summary>
    protected abstract string What { get; }

    protected abstract Task SweepOnceAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, time, stoppingToken);
                await SweepOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Log.SweepFailed(logger, e, What);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3102, Level = LogLevel.Error, Message = "The {What} sweep failed; it runs again at its next interval")]
        public static partial void SweepFailed(ILogger logger, Exception exception, string what);
    }
}

internal sealed partial class BootTimeoutService(IRegistry registry, FabricOptions options, TimeProvider time, ILogger<BootTimeoutService> logger)
    : PeriodicSweep(time, logger)
{
    public override TimeSpan Interval => TimeSpan.FromSeconds(Math.Clamp(options.BootTimeout.TotalSeconds / 4, 1, 30));

    public async Task<IReadOnlyList<Node>> SweepAsync(CancellationToken cancellationToken = default)
    {
        var failed = await registry.FailStuckBootsAsync(options.BootTimeout, cancellationToken);
        foreach (var node in failed)
        {
            Log.BootTimedOut(logger, node.Name, options.BootTimeout);
        }

        return failed;
    }

    protected override string What => "boot timeout";

    protected override Task SweepOnceAsync(CancellationToken cancellationToken) => SweepAsync(cancellationToken);

    private static partial class Log
    {
        [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Node {Node} did not report 'up' within {Timeout}; marked failed")]
        public static partial void BootTimedOut(ILogger logger, string node, TimeSpan timeout);
    }
}

/// <summary>Removes discovered nodes that no operator adopted within <c>Fabric:Discovery:Retention</c>, with their events.</summary>
internal sealed partial class DiscoverySweepService(IRegistry registry, IOptions<DiscoveryOptions> options, TimeProvider time, ILogger<DiscoverySweepService> logger)
    : PeriodicSweep(time, logger)
{
    public override TimeSpan Interval => TimeSpan.FromSeconds(Math.Clamp(options.Value.Retention.TotalSeconds / 24, 1, 600));

    public async Task<IReadOnlyList<Node>> SweepAsync(CancellationToken cancellationToken = default)
    {
        var removed = await registry.RemoveStaleDiscoveredAsync(options.Value.Retention, cancellationToken);
        foreach (var node in removed)
        {
            Log.Removed(logger, node.Name, options.Value.Retention);
        }

        return removed;
    }

    protected override string What => "discovery retention";

    protected override Task SweepOnceAsync(CancellationToken cancellationToken) => SweepAsync(cancellationToken);

    private static partial class Log
    {
        [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Discovered node {Node} was not adopted within {Retention}; removed")]
        public static partial void Removed(ILogger logger, string node, TimeSpan retention);
    }
}
