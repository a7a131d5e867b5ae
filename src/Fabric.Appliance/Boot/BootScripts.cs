using System.Net;
using System.Text;
using Fabric.Appliance.Api;
using Fabric.Appliance.Metrics;
using Fabric.Appliance.Security;
using Fabric.Boot;
using Fabric.Core;
using Fabric.Registry;

namespace Fabric.Appliance.Boot;

/// <summary>Serves iPXE scripts by MAC and render previews by node name.</summary>
public interface IBootScripts
{
    /// <summary>The iPXE script for a MAC: a registered node's script (moving it to <c>booting</c>), or for an unknown MAC the
    /// discovery script after registering it as <c>discovered</c>. Never throws: any failure is a script that prints it.</summary>
    Task<(int Status, string Script)> ForMacAsync(string macText, IPAddress? requester, CancellationToken cancellationToken = default);

    /// <summary>A rendered template for a node as an HTTP result (text, or a problem naming template and line).</summary>
    Task<IResult> PreviewAsync(string name, string template, IPAddress? requester, CancellationToken cancellationToken = default);
}

internal sealed partial class BootScripts(
    IRegistry registry,
    IBootContextFactory contexts,
    IServiceProvider services,
    ApplianceMetrics metrics,
    ILogger<BootScripts> logger) : IBootScripts
{
    public async Task<(int Status, string Script)> ForMacAsync(string macText, IPAddress? requester, CancellationToken cancellationToken = default)
    {
        if (!MacAddress.TryParse(macText, out var mac))
        {
            return (StatusCodes.Status400BadRequest, ErrorScript($"'{macText}' is not a MAC address"));
        }

        requester = requester is { IsIPv4MappedToIPv6: true } ? requester.MapToIPv4() : requester;
        try
        {
            var node = await registry.FindNodeByMacAsync(mac, cancellationToken);
            if (node is null)
            {
                var discovered = await registry.DiscoverAsync(mac, requester, cancellationToken);
                node = discovered.Value ?? await registry.FindNodeByMacAsync(mac, cancellationToken);
                if (node is null)
                {
                    return (StatusCodes.Status200OK, ErrorScript($"cannot register {mac}: {discovered.Error}"));
                }

                Log.Discovered(logger, mac, node.Name, requester);
            }

            if (node.State == NodeState.Retired)
            {
                return (StatusCodes.Status200OK, ErrorScript($"node {node.Name} is retired"));
            }

            var template = BootTemplates.IpxeFor(node);
            var rendered = Render(template, contexts.For(node, mac, requester));
            metrics.BootScript(template, rendered.Succeeded);
            if (!rendered.Succeeded)
            {
                Log.RenderFailed(logger, rendered.Template ?? template, rendered.Line, rendered.Error);
                var problem = $"cannot render {rendered.Template ?? template}{LineText(rendered.Line)}: {rendered.Error}";
                return (StatusCodes.Status200OK, ErrorScript(problem, Render(BootTemplates.Error, contexts.For(node, mac, requester))));
            }

            if (node.State != NodeState.Discovered)
            {
                // A node already booting keeps its clock, so one that loops on its script still times out.
                var next = node.State == NodeState.Booting ? (NodeState?)null : NodeState.Booting;
                await registry.RecordAsync(node.Name, next, "boot-script", $"{template} served for {mac} to {requester?.ToString() ?? "unknown"}", Actors.Boot, cancellationToken);
            }

            return (StatusCodes.Status200OK, rendered.Text);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.BootScriptFailed(logger, e, mac);
            return (StatusCodes.Status200OK, ErrorScript($"the appliance could not make a boot script for {mac}"));
        }
    }

    public async Task<IResult> PreviewAsync(string name, string template, IPAddress? requester, CancellationToken cancellationToken = default)
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

        var where = $"{rendered.Template ?? template}{LineText(rendered.Line)}";
        return Results.Problem(
            detail: $"{where}: {rendered.Error}",
            statusCode: StatusCodes.Status500InternalServerError,
            title: "Template error",
            extensions: new Dictionary<string, object?> { ["template"] = rendered.Template ?? template, ["line"] = rendered.Line });
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

    private static string LineText(int? line) => line is null ? "" : $" line {line}";

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

    private static string Sanitize(string message)
    {
        var safe = new StringBuilder(message.Length);
        foreach (var c in message)
        {
            safe.Append(c is '$' or '\r' or '\n' || char.IsControl(c) ? ' ' : c);
        }

        return safe.ToString();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Unknown MAC {Mac} registered as {Node} (request from {Requester})")]
        public static partial void Discovered(ILogger logger, MacAddress mac, string node, IPAddress? requester);

        [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Template {Template} line {Line} failed: {Error}")]
        public static partial void RenderFailed(ILogger logger, string template, int? line, string? error);

        [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "Boot script for {Mac} failed")]
        public static partial void BootScriptFailed(ILogger logger, Exception exception, MacAddress mac);
    }
}
