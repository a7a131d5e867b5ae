using System.Net;
using Fabric.Appliance.Api;
using Fabric.Appliance.Metrics;
using Fabric.Boot;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Core.Lifecycle;
using Fabric.Registry;
using Fabric.Registry.Nodes;

namespace Fabric.Appliance.Boot;

/// <summary>Serves iPXE scripts by MAC and render previews by node name.</summary>
public interface IBootScripts
{
    /// <summary>The iPXE script for a MAC: a registered node's script (moving it to <c>booting</c> when the node itself asks),
    /// or for an unknown MAC the discovery script after registering it as <c>discovered</c> (within
    /// <c>Fabric:Discovery:MaxNodes</c>). Never throws: any failure is a script that prints it.</summary>
    Task<(int Status, string Script)> ForMacAsync(string macText, IPAddress? requester, CancellationToken cancellationToken = default);

    /// <summary>A rendered template for a node as an HTTP result (text, or a problem naming template, file, line and column;
    /// the file as a path on the appliance only when <paramref name="withPaths"/>, for the admin).</summary>
    Task<IResult> PreviewAsync(string name, string template, IPAddress? requester, bool withPaths = false, CancellationToken cancellationToken = default);
}

internal sealed partial class BootScripts(
    IRegistry registry,
    IBootContextFactory contexts,
    IServiceProvider services,
    ApplianceMetrics metrics,
    TimeProvider time,
    ILogger<BootScripts> logger) : IBootScripts
{
    public async Task<(int Status, string Script)> ForMacAsync(string macText, IPAddress? requester, CancellationToken cancellationToken = default)
    {
        if (!MacAddress.TryParse(macText, out var mac))
        {
            return (StatusCodes.Status400BadRequest, ErrorScript($"'{macText}' is not a MAC address"));
        }

        if (mac.IsZero || mac.IsMulticast)
        {
            // Broadcast and multicast addresses name no NIC: nothing boots as them and nothing is registered.
            return (StatusCodes.Status400BadRequest, ErrorScript($"{mac} is not a unicast MAC address"));
        }

        requester = requester is { IsIPv4MappedToIPv6: true } ? requester.MapToIPv4() : requester;
        try
        {
            var node = await registry.FindNodeByMacAsync(mac, cancellationToken) ?? await DiscoverAsync(mac, requester, cancellationToken);
            var decision = NodeLifecycle.Decide(node.State, NodeTrigger.BootScriptFetched, ActorKind.Boot);
            if (!decision.Allowed)
            {
                return (StatusCodes.Status200OK, ErrorScript($"node {node.Name}: {decision.Reason}"));
            }

            var template = BootTemplates.IpxeFor(node);
            var rendered = Render(template, contexts.For(node, mac, requester));
            metrics.BootScript(template, rendered.Succeeded);
            if (!rendered.Succeeded)
            {
                // The caller is anonymous: the detail (file, line, column) goes to the log, the admin API and the web page.
                Log.RenderFailed(logger, rendered.Template ?? template, rendered.Detail);
                return (StatusCodes.Status200OK, ErrorScript(AnonymousRenderError, Render(BootTemplates.Error, contexts.For(node, mac, requester))));
            }

            if (node.State != NodeState.Discovered)
            {
                await RecordServedAsync(node, mac, template, requester, cancellationToken);
            }

            return (StatusCodes.Status200OK, rendered.Text);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.BootScriptFailed(logger, e, mac);
            return (StatusCodes.Status200OK, ErrorScript($"the appliance could not make a boot script for {mac}"));
        }
    }

    /// <summary>Registers an unknown MAC as discovered. When discovery is full or the registry cannot be written, the
    /// machine still gets the discovery script, for a node that is not stored.</summary>
    private async Task<Node> DiscoverAsync(MacAddress mac, IPAddress? requester, CancellationToken cancellationToken)
    {
        try
        {
            var discovered = await registry.DiscoverAsync(mac, requester, cancellationToken);
            switch (discovered.Outcome)
            {
                case DiscoveryOutcome.Registered:
                    Log.Discovered(logger, mac, discovered.Node.Name, requester);
                    break;
                case DiscoveryOutcome.Refused:
                    Log.DiscoveryFull(logger, mac, requester);
                    break;
            }

            return discovered.Node;
        }
        catch (RegistryStoreException e)
        {
            Log.AuditWriteFailed(logger, e, mac);
            return Discovery.NodeFor(mac, time.GetUtcNow());
        }
    }

    /// <summary>Records that the script was served. Only a request from the node itself (its registered address, or the
    /// address its current DHCP lease gave it) moves it through the lifecycle; from anywhere else the script is served
    /// and the state stays. The node gets its script even when the registry cannot record this.</summary>
    private async Task RecordServedAsync(Node node, MacAddress mac, string template, IPAddress? requester, CancellationToken cancellationToken)
    {
        var message = $"{template} served for {mac} to {requester?.ToString() ?? "unknown"}";
        try
        {
            if (await IsFromNodeAsync(node, mac, requester, cancellationToken))
            {
                await registry.ApplyAsync(node.Name, NodeTrigger.BootScriptFetched, EventKind.BootScript, message, Actor.Boot, cancellationToken);
            }
            else
            {
                await registry.RecordAsync(node.Name, EventKind.BootScript, message + " (not the node's address: state unchanged)", Actor.Boot, cancellationToken);
            }
        }
        catch (RegistryStoreException e)
        {
            Log.AuditWriteFailed(logger, e, mac);
        }
    }

    private async Task<bool> IsFromNodeAsync(Node node, MacAddress mac, IPAddress? requester, CancellationToken cancellationToken)
    {
        if (requester is null)
        {
            return false;
        }

        if (requester.Equals(node.Ip))
        {
            return true;
        }

        if (services.GetService<ILeaseView>() is not { } leases)
        {
            return false;
        }

        var lease = await leases.FindCurrentLeaseAsync(mac, time.GetUtcNow(), cancellationToken);
        return lease is not null && lease.Address.Equals(requester);
    }

    public async Task<IResult> PreviewAsync(string name, string template, IPAddress? requester, bool withPaths = false, CancellationToken cancellationToken = default)
    {
        var context = await contexts.ForNodeAsync(name, requester, cancellationToken);
        if (context is null)
        {
            return NodeEndpoints.NotFound(name);
        }

        var renderer = services.GetService<IBootRenderer>();
        if (renderer is null || !renderer.TemplateNames.Contains(template, StringComparer.Ordinal))
        {
            var known = renderer is null ? "no templates are loaded" : "templates: " + string.Join(", ", renderer.TemplateNames.Order(StringComparer.Ordinal));
            return Problems.Field(404, "template", $"no template named '{template}' ({known})");
        }

        var rendered = renderer.Render(template, context);
        if (rendered.Succeeded)
        {
            return Results.Text(rendered.Text, "text/plain; charset=utf-8");
        }

        return Results.Problem(
            detail: withPaths ? rendered.Detail : rendered.DetailWithoutPath,
            statusCode: StatusCodes.Status500InternalServerError,
            title: "Template error",
            extensions: new Dictionary<string, object?>
            {
                ["template"] = rendered.Template ?? template,
                ["file"] = withPaths || rendered.File is null ? rendered.File : TemplateProblem.NameInFolder(rendered.File),
                ["line"] = rendered.Line,
                ["column"] = rendered.Column,
            });
    }

    private RenderResult Render(string template, BootContext context)
    {
        var renderer = services.GetService<IBootRenderer>();
        if (renderer is null)
        {
            return RenderResult.Failed(template, null, "no boot templates are loaded");
        }

        try
        {
            return renderer.Render(template, context);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return RenderResult.Failed(template, null, e.Message);
        }
    }

    /// <summary>What an anonymous boot client is told when its script failed to render: no template, path or line.</summary>
    internal const string AnonymousRenderError = "the boot script of this machine could not be built: the appliance log says why";

    /// <summary>An iPXE script that shows the problem and does not boot: the <c>error.ipxe</c> template (which asks
    /// again later) with the problem printed first, or a fixed script when that template cannot be rendered either.</summary>
    internal static string ErrorScript(string message, RenderResult? errorTemplate = null)
    {
        var echo = $"echo Fabric: {Sanitize(message)}\n";
        if (errorTemplate is { Succeeded: true, Text: var text } && text.StartsWith("#!ipxe\n", StringComparison.Ordinal))
        {
            return "#!ipxe\n" + echo + text["#!ipxe\n".Length..];
        }

        return $"#!ipxe\n{echo}echo This machine will not boot from the network now.\nsleep 30\nexit 1\n";
    }

    /// <summary>The message escaped like every value in a boot script (<see cref="BootText"/>), word by word, so it
    /// stays one <c>echo</c> line whatever it quotes.</summary>
    private static string Sanitize(string message) =>
        string.Join(' ', message.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(BootText.Escape));

    private static partial class Log
    {
        [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Unknown MAC {Mac} registered as {Node} (request from {Requester})")]
        public static partial void Discovered(ILogger logger, MacAddress mac, string node, IPAddress? requester);

        [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Template {Template} failed: {Problem}")]
        public static partial void RenderFailed(ILogger logger, string template, string? problem);

        [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "Boot script for {Mac} failed")]
        public static partial void BootScriptFailed(ILogger logger, Exception exception, MacAddress mac);

        [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "The registry could not record the boot of {Mac}; the script is served anyway")]
        public static partial void AuditWriteFailed(ILogger logger, Exception exception, MacAddress mac);

        [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Unknown MAC {Mac} not registered: Fabric:Discovery:MaxNodes nodes are discovered already (request from {Requester})")]
        public static partial void DiscoveryFull(ILogger logger, MacAddress mac, IPAddress? requester);
    }
}
