using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using Fabric.Appliance.Hosting;
using Fabric.Tftp;
using Fabric.Tftp.Files;

// In this namespace, like other Add* methods, so Program.cs needs no extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Wires the TFTP server into the appliance.</summary>
public static class TftpHosting
{
    /// <summary>
    /// Registers the TFTP server as a hosted service when <c>Fabric:Tftp:Endpoint</c> is set (address:port).
    /// It serves <c>Fabric:BootDir</c> (default <c>Fabric:DataDir</c>/boot) plus the <see cref="ITftpVirtualFiles"/>
    /// registered in DI, if any. Optional tuning under <c>Fabric:Tftp</c>: MaxTransfers, RetransmitTimeoutMs,
    /// MaxRetries, MaxBlockSize, MaxWindowSize, CacheMaxFileBytes, CacheMaxTotalBytes, MaxTransfersPerClient, MaxIdleSeconds.
    /// Options are validated when the host starts; every error is reported at once.
    /// </summary>
    public static IServiceCollection AddFabricTftp(this IServiceCollection services, IConfiguration configuration)
    {
        if (string.IsNullOrWhiteSpace(configuration["Fabric:Tftp:Endpoint"]))
        {
            return services;
        }

        services.AddHostedService(sp => new TftpHostedService(
            configuration,
            sp.GetRequiredService<ILogger<TftpServer>>(),
            sp.GetService<ITftpVirtualFiles>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<IMeterFactory>()));
        return services;
    }

    /// <summary>Reads the server's options; errors are collected, not thrown one by one.</summary>
    internal static TftpServerOptions ReadOptions(IConfiguration configuration, List<string> errors)
    {
        var section = configuration.GetSection("Fabric:Tftp");
        var options = new TftpServerOptions();
        string endpointText = section["Endpoint"] ?? "";
        if (IPEndPoint.TryParse(endpointText, out var endpoint) && endpointText.Contains(':', StringComparison.Ordinal))
        {
            options = options with { Endpoint = endpoint };
        }
        else
        {
            errors.Add($"Fabric:Tftp:Endpoint '{endpointText}' is not address:port.");
        }

        string? bootDir = configuration["Fabric:BootDir"];
        if (string.IsNullOrWhiteSpace(bootDir))
        {
            string dataDir = configuration["Fabric:DataDir"] is { Length: > 0 } d ? d : "data";
            bootDir = Path.Combine(dataDir, "boot");
            Directory.CreateDirectory(bootDir);
        }

        options = options with { Root = Path.GetFullPath(bootDir) };
        options = options with
        {
            MaxTransfers = Int(section, "MaxTransfers", options.MaxTransfers, errors),
            RetransmitTimeout = TimeSpan.FromMilliseconds(Int(section, "RetransmitTimeoutMs", (int)options.RetransmitTimeout.TotalMilliseconds, errors)),
            MaxRetries = Int(section, "MaxRetries", options.MaxRetries, errors),
            MaxBlockSize = Int(section, "MaxBlockSize", options.MaxBlockSize, errors),
            MaxWindowSize = Int(section, "MaxWindowSize", options.MaxWindowSize, errors),
            CacheMaxFileBytes = Long(section, "CacheMaxFileBytes", options.CacheMaxFileBytes, errors),
            CacheMaxTotalBytes = Long(section, "CacheMaxTotalBytes", options.CacheMaxTotalBytes, errors),
            MaxTransfersPerClient = Int(section, "MaxTransfersPerClient", options.MaxTransfersPerClient, errors),
            MaxIdleSeconds = Int(section, "MaxIdleSeconds", options.MaxIdleSeconds, errors),
        };
        return options;
    }

    private static int Int(IConfigurationSection section, string key, int fallback, List<string> errors) =>
        (int)Long(section, key, fallback, errors);

    private static long Long(IConfigurationSection section, string key, long fallback, List<string> errors)
    {
        string? text = section[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) && value is >= int.MinValue and <= int.MaxValue * 4L)
        {
            return value;
        }

        errors.Add($"Fabric:Tftp:{key} '{text}' is not a number.");
        return fallback;
    }
}
