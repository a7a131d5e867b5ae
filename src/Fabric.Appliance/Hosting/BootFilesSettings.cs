using System.Net;
using Microsoft.Extensions.Options;

namespace Fabric.Appliance.Hosting;

/// <summary>The boot file server's settings (section <c>Fabric:BootFiles</c>): a small HTTP/1.1 listener that serves
/// <c>/boot/files/</c> with sendfile(2) (no copy through the process), used by the boot scripts when it is on.</summary>
public sealed class BootFilesSettings
{
    public const string Section = "Fabric:BootFiles";

    /// <summary>The listener's <c>address:port</c> (e.g. <c>0.0.0.0:8081</c>; port 0 picks a free one); empty turns it
    /// off, and the scripts name the main HTTP server's <c>/boot/files/</c>, which serves the same files either way.</summary>
    public string? Endpoint { get; set; }

    /// <summary>How long a connection may wait for its next request.</summary>
    public int IdleTimeoutSeconds { get; set; } = 30;

    /// <summary>The slowest a client may read a file before its connection is closed (bytes per second, after the
    /// first <see cref="IdleTimeoutSeconds"/>), as Kestrel's minimum response data rate does.</summary>
    public int MinBytesPerSecond { get; set; } = 16 * 1024;

    public bool Enabled => !string.IsNullOrWhiteSpace(Endpoint);

    /// <summary>The endpoint, or null when unset or malformed.</summary>
    public IPEndPoint? ParsedEndpoint =>
        Endpoint is { Length: > 0 } text && text.Contains(':', StringComparison.Ordinal) && IPEndPoint.TryParse(text.Trim(), out var endpoint)
        && (text.Contains('.', StringComparison.Ordinal) || text.Contains(']', StringComparison.Ordinal)) ? endpoint : null;
}

/// <summary>Checks <see cref="BootFilesSettings"/>: every problem, one line each.</summary>
internal sealed class BootFilesSettingsValidator : IValidateOptions<BootFilesSettings>
{
    private const string S = BootFilesSettings.Section;

    public ValidateOptionsResult Validate(string? name, BootFilesSettings options)
    {
        var problems = new List<string>();
        if (options.Enabled && options.ParsedEndpoint is null)
        {
            problems.Add($"{S}:Endpoint: '{options.Endpoint}' is not an address:port like 0.0.0.0:8081 (empty turns the boot file server off)");
        }

        if (options.IdleTimeoutSeconds is < 1 or > 3600)
        {
            problems.Add($"{S}:IdleTimeoutSeconds: '{options.IdleTimeoutSeconds}' is not between 1 and 3600");
        }

        if (options.MinBytesPerSecond < 0)
        {
            problems.Add($"{S}:MinBytesPerSecond: '{options.MinBytesPerSecond}' is less than 0");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
