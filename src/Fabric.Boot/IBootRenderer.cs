using System.Diagnostics.CodeAnalysis;
using Fabric.Core;

namespace Fabric.Boot;

/// <summary>Where the appliance can be reached by booting nodes.</summary>
/// <param name="HttpBase">Base URL of the appliance's HTTP server as nodes reach it, e.g. <c>http://10.0.0.1:8080</c>.</param>
/// <param name="TftpServer">Address of the TFTP server (next-server), or null when TFTP is off.</param>
/// <param name="FilesBase">Base URL of the boot file server when it is on (its <c>/boot/files/</c> serves the same files
/// with sendfile), e.g. <c>http://10.0.0.1:8081</c>; null means the files come from <paramref name="HttpBase"/>.</param>
public sealed record ApplianceEndpoints(Uri HttpBase, string? TftpServer, Uri? FilesBase = null);

/// <summary>Everything a template may use for one node. Built by the appliance from the registry.</summary>
/// <param name="Node">The node. For an unknown MAC (discovery) a synthetic node in state <c>discovered</c>.</param>
/// <param name="Mac">The MAC the request came for.</param>
/// <param name="Network">The node's network, if any.</param>
/// <param name="RootTargets">For a HardwareNode: the storage nodes that serve its root (one or two).</param>
/// <param name="BootToken">Per-node token the node presents when it reports boot events.</param>
/// <param name="Endpoints">The appliance's own URLs.</param>
public sealed record BootContext(
    Node Node,
    MacAddress Mac,
    Network? Network,
    IReadOnlyList<Node> RootTargets,
    string? BootToken,
    ApplianceEndpoints Endpoints);

/// <summary>The result of a render: the whole text, or an error naming the template, its file, line and column.
/// A half-rendered file never escapes. <see cref="File"/> is a path on the appliance: it is for the admin API and
/// the web page, never for an anonymous boot client.</summary>
public sealed record RenderResult
{
    private RenderResult(string? text, string? template, string? file, int? line, int? column, string? error)
    {
        Text = text;
        Template = template;
        File = file;
        Line = line;
        Column = column;
        Error = error;
    }

    public string? Text { get; }

    public string? Template { get; }

    /// <summary>The template file (or the partial) the error is in, when known.</summary>
    public string? File { get; }

    public int? Line { get; }

    public int? Column { get; }

    public string? Error { get; }

    [MemberNotNullWhen(true, nameof(Text))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Succeeded => Error is null;

    /// <summary><c>file:line:column: reason</c> (or the template name when there is no file), for operators.</summary>
    public string? Detail => Error is null ? null
        : File is null ? $"{Template}{(Line is int line ? $":{line}" : "")}{(Column is int column ? $":{column}" : "")}: {Error}"
        : new TemplateProblem(File, Line, Column, Error).ToString();

    /// <summary><see cref="Detail"/> with the file named as inside the templates folder: no path of the appliance.</summary>
    public string? DetailWithoutPath => Error is null || File is null ? Detail
        : new TemplateProblem(TemplateProblem.NameInFolder(File), Line, Column, Error).ToString();

    public static RenderResult Ok(string text) => new(text, null, null, null, null, null);

    public static RenderResult Failed(string template, int? line, string error) => new(null, template, null, line, null, error);

    public static RenderResult Failed(string template, TemplateProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return new(null, template, problem.File, problem.Line, problem.Column, problem.Message);
    }
}

/// <summary>Renders the templates in the templates folder for one node.</summary>
public interface IBootRenderer
{
    /// <summary>Names of the templates that can be rendered, e.g. <c>hardware.ipxe</c>, <c>discovery.ipxe</c>.</summary>
    IReadOnlyCollection<string> TemplateNames { get; }

    RenderResult Render(string templateName, BootContext context);
}
