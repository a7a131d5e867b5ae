using System.Net;
using System.Net.Sockets;
using Fabric.Tftp;
using Fabric.Tftp.Commands;
using Microsoft.Extensions.Options;

namespace Fabric.Appliance.Hosting;

/// <summary>The TFTP server's settings (section <c>Fabric:Tftp</c>); it serves <c>Fabric:BootDir</c>.</summary>
public sealed class TftpSettings
{
    public const string Section = "Fabric:Tftp";

    private static readonly TftpServerOptions Defaults = new();

    /// <summary>The server's IPv4 <c>address:port</c>; empty means TFTP is off.</summary>
    public string? Endpoint { get; set; }

    public int MaxTransfers { get; set; } = Defaults.MaxTransfers;

    public int RetransmitTimeoutMs { get; set; } = (int)Defaults.RetransmitTimeout.TotalMilliseconds;

    public int MaxRetries { get; set; } = Defaults.MaxRetries;

    public int MaxBlockSize { get; set; } = Defaults.MaxBlockSize;

    public int MaxWindowSize { get; set; } = Defaults.MaxWindowSize;

    public long CacheMaxFileBytes { get; set; } = Defaults.CacheMaxFileBytes;

    public long CacheMaxTotalBytes { get; set; } = Defaults.CacheMaxTotalBytes;

    /// <summary>Transfers one client address may hold at once.</summary>
    public int MaxTransfersPerClient { get; set; } = Defaults.MaxTransfersPerClient;

    /// <summary>How long a silent client keeps its transfer, whatever timeout it asked for.</summary>
    public int MaxIdleSeconds { get; set; } = Defaults.MaxIdleSeconds;

    public bool Enabled => !string.IsNullOrWhiteSpace(Endpoint);

    /// <summary>The endpoint, or null when unset or malformed.</summary>
    public IPEndPoint? ParsedEndpoint =>
        Endpoint is { Length: > 0 } text && text.Contains(':', StringComparison.Ordinal) && IPEndPoint.TryParse(text, out var endpoint)
        && endpoint.AddressFamily == AddressFamily.InterNetwork ? endpoint : null;

    public TftpServerOptions ToServerOptions(string root) => Defaults with
    {
        Endpoint = ParsedEndpoint,
        Root = root,
        MaxTransfers = MaxTransfers,
        RetransmitTimeout = TimeSpan.FromMilliseconds(RetransmitTimeoutMs),
        MaxRetries = MaxRetries,
        MaxBlockSize = MaxBlockSize,
        MaxWindowSize = MaxWindowSize,
        CacheMaxFileBytes = CacheMaxFileBytes,
        CacheMaxTotalBytes = CacheMaxTotalBytes,
        MaxTransfersPerClient = MaxTransfersPerClient,
        MaxIdleSeconds = MaxIdleSeconds,
    };
}

/// <summary>Checks <see cref="TftpSettings"/>: every problem, one line each; with TFTP on, BootDir must exist.</summary>
internal sealed class TftpSettingsValidator(IConfiguration configuration) : IValidateOptions<TftpSettings>
{
    private const string S = TftpSettings.Section;

    public ValidateOptionsResult Validate(string? name, TftpSettings options)
    {
        var problems = new List<string>();
        if (options.Enabled)
        {
            if (options.ParsedEndpoint is null)
            {
                problems.Add($"{S}:Endpoint: '{options.Endpoint}' is not an IPv4 address:port like 127.0.0.1:69");
            }

            var root = ApplianceOptions.BootFolder(configuration);
            if (!Directory.Exists(root))
            {
                problems.Add($"Fabric:BootDir: '{root}' does not exist (TFTP serves it)");
            }
        }

        Range(problems, "MaxTransfers", options.MaxTransfers, 1, int.MaxValue);
        Range(problems, "RetransmitTimeoutMs", options.RetransmitTimeoutMs, 1, 255_000);
        Range(problems, "MaxRetries", options.MaxRetries, 0, int.MaxValue);
        Range(problems, "MaxBlockSize", options.MaxBlockSize, TftpOptionNegotiator.MinBlockSize, TftpOptionNegotiator.MaxBlockSize);
        Range(problems, "MaxWindowSize", options.MaxWindowSize, 1, 65535);
        Range(problems, "CacheMaxFileBytes", options.CacheMaxFileBytes, 0, int.MaxValue);
        Range(problems, "CacheMaxTotalBytes", options.CacheMaxTotalBytes, 0, long.MaxValue);
        Range(problems, "MaxTransfersPerClient", options.MaxTransfersPerClient, 1, int.MaxValue);
        Range(problems, "MaxIdleSeconds", options.MaxIdleSeconds, 1, 3600);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static void Range(List<string> problems, string key, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            problems.Add(max == int.MaxValue || max == long.MaxValue
                ? $"{S}:{key}: '{value}' is less than {min}"
                : $"{S}:{key}: '{value}' is not between {min} and {max}");
        }
    }
}
