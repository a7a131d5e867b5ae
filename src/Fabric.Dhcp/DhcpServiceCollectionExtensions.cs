using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using Fabric.Core;
using Fabric.Dhcp.Handlers;
using Fabric.Dhcp.Leases;
using Fabric.Dhcp.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Fabric.Dhcp;

/// <summary>Reads <see cref="DhcpServerOptions"/> from configuration.</summary>
public static class DhcpConfiguration
{
    /// <summary>Reads Fabric:Dhcp:*, Fabric:PublicUrl and Fabric:DataDir. When those two are absent the host's
    /// resolved values are used (<paramref name="defaultDataDir"/>, <paramref name="defaultPublicUrl"/>), then
    /// the first Urls entry for the URL. Every malformed value is reported at once.</summary>
    public static DhcpServerOptions Read(IConfiguration configuration, string? defaultDataDir = null, string? defaultPublicUrl = null)
    {
        var errors = new List<string>();
        var section = configuration.GetSection("Fabric:Dhcp");
        var relays = new List<IPAddress>();
        foreach (var text in List(section.GetSection("TrustedRelays")))
        {
            if (Ipv4.TryParse(text, out var ip))
            {
                relays.Add(ip);
            }
            else
            {
                errors.Add($"Fabric:Dhcp:TrustedRelays has '{text}', which is not an IPv4 address.");
            }
        }

        IPAddress? tftp = null;
        if (section["TftpServer"] is { Length: > 0 } tftpText && !Ipv4.TryParse(tftpText, out tftp))
        {
            errors.Add($"Fabric:Dhcp:TftpServer '{tftpText}' is not an IPv4 address.");
        }

        var defaults = new DhcpServerOptions();
        var files = new BootFileNames
        {
            Bios = section["BootFiles:Bios"] ?? defaults.BootFiles.Bios,
            Uefi64 = section["BootFiles:Uefi64"] ?? defaults.BootFiles.Uefi64,
            HttpUefi = section["BootFiles:HttpUefi"] ?? defaults.BootFiles.HttpUefi,
        };

        string publicUrl = NonEmpty(configuration["Fabric:PublicUrl"])
            ?? NonEmpty(defaultPublicUrl)
            ?? configuration["Urls"]?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault()
            ?? "";

        var options = new DhcpServerOptions
        {
            Interfaces = List(section.GetSection("Interfaces")),
            TrustedRelays = relays,
            PublicUrl = publicUrl,
            TftpServer = tftp,
            BootFiles = files,
            Proxy = Bool(section, "Proxy", errors),
            BatchedIo = Bool(section, "BatchedIo", errors, fallback: defaults.BatchedIo),
            CommitOnReceiveThread = Bool(section, "CommitOnReceiveThread", errors, fallback: defaults.CommitOnReceiveThread),
            Port = Int(section, "Port", defaults.Port, errors),
            ProxyPort = Int(section, "ProxyPort", defaults.ProxyPort, errors),
            DataDir = NonEmpty(configuration["Fabric:DataDir"]) ?? defaultDataDir ?? "",
            OfferTimeout = TimeSpan.FromSeconds(Int(section, "OfferTimeoutSeconds", (int)defaults.OfferTimeout.TotalSeconds, errors)),
            MaxOutstandingOffers = Int(section, "MaxOutstandingOffers", defaults.MaxOutstandingOffers, errors),
            DeclineQuarantine = TimeSpan.FromSeconds(Int(section, "DeclineQuarantineSeconds", (int)defaults.DeclineQuarantine.TotalSeconds, errors)),
        };

        errors.AddRange(options.Validate());
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("Invalid DHCP configuration: " + string.Join(" ", errors));
        }

        return options;
    }

    private static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>A list given as array entries (Interfaces:0=eth0) or as one comma-separated value (FABRIC__DHCP__INTERFACES=eth0,eth1).</summary>
    private static IReadOnlyList<string> List(IConfigurationSection section)
    {
        var children = section.GetChildren().Select(c => c.Value).Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim()).ToList();
        if (children.Count > 0)
        {
            return children;
        }

        return section.Value?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
    }

    private static int Int(IConfigurationSection s, string key, int fallback, List<string> errors)
    {
        if (s[key] is not { Length: > 0 } text)
        {
            return fallback;
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
        {
            return v;
        }

        errors.Add($"Fabric:Dhcp:{key} '{text}' is not an integer.");
        return fallback;
    }

    private static bool Bool(IConfigurationSection s, string key, List<string> errors, bool fallback = false)
    {
        if (s[key] is not { Length: > 0 } text)
        {
            return fallback;
        }

        if (bool.TryParse(text, out bool v))
        {
            return v;
        }

        errors.Add($"Fabric:Dhcp:{key} '{text}' is not true or false.");
        return fallback;
    }
}

public static class DhcpServiceCollectionExtensions
{
    /// <summary>Registers the lease store (ILeaseView) and, when interfaces are configured, the DHCP server
    /// as a hosted service. The server needs an <see cref="IFabricDirectory"/> registered by the host.</summary>
    public static IServiceCollection AddFabricDhcpServer(this IServiceCollection services, DhcpServerOptions options)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.TryAddSingleton(sp => new DhcpMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton(sp => new LeaseEngine(
            sp.GetRequiredService<TimeProvider>(),
            new LeaseEngineOptions(options.OfferTimeout, options.MaxOutstandingOffers, options.DeclineQuarantine)));
        services.TryAddSingleton(sp =>
        {
            var metrics = sp.GetRequiredService<DhcpMetrics>();
            return new SqliteLeaseStore(Path.Combine(options.DataDir, "leases.db"), (n, _) => metrics.CommitBatch(n));
        });
        services.TryAddSingleton<ILeaseStore>(sp => sp.GetRequiredService<SqliteLeaseStore>());
        services.TryAddSingleton<ILeaseView>(sp => string.IsNullOrWhiteSpace(options.DataDir)
            ? new EmptyLeaseView()
            : sp.GetRequiredService<SqliteLeaseStore>());
        if (options.Interfaces.Count > 0)
        {
            services.TryAddSingleton(sp => DhcpPipeline.Create(
                options,
                sp.GetRequiredService<LeaseEngine>(),
                sp.GetService<IFabricDirectory>() ?? throw new InvalidOperationException(
                    "The DHCP server needs the registry: register an IFabricDirectory (the registry, or InMemoryFabricDirectory) before starting with Fabric:Dhcp:Interfaces set."),
                sp.GetRequiredService<TimeProvider>()));
            services.AddHostedService(sp => new DhcpServer(
                options,
                sp.GetRequiredService<DhcpPipeline>(),
                sp.GetRequiredService<LeaseEngine>(),
                sp.GetRequiredService<ILeaseStore>(),
                sp.GetRequiredService<DhcpMetrics>(),
                sp.GetRequiredService<ILogger<DhcpServer>>()));
        }

        return services;
    }

    private sealed class EmptyLeaseView : ILeaseView
    {
        public ValueTask<IReadOnlyList<Lease>> ListLeasesAsync(CancellationToken cancellationToken = default) =>
            ValueTask.FromResult<IReadOnlyList<Lease>>([]);
    }
}
