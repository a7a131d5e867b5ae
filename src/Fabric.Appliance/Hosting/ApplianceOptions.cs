using Fabric.Core.Files;
using Microsoft.Extensions.Options;

namespace Fabric.Appliance.Hosting;

/// <summary>The appliance core's settings (section <c>Fabric</c>).</summary>
public sealed class ApplianceOptions
{
    public const string Section = "Fabric";
    public const string DefaultDataDir = "data";
    public const string DefaultBootDir = "boot";
    public const int MinAdminTokenLength = 16;

    /// <summary>Folder of the registry database, the lease database and the secret files; made when missing.</summary>
    public string DataDir { get; set; } = DefaultDataDir;

    /// <summary>Folder of the boot artifacts served over HTTP (<c>/boot/files/</c>) and TFTP; never DataDir, inside it or
    /// around it. The default <c>boot</c> sits next to the default <c>data</c>.</summary>
    public string BootDir { get; set; } = DefaultBootDir;

    /// <summary>Base URL nodes use to reach the appliance; empty means the first bound address.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>Fixed admin token; empty means the one in <c>DataDir/admin.token</c>.</summary>
    public string? AdminToken { get; set; }

    /// <summary>How long a node may stay <c>booting</c> before it is marked <c>failed</c>.</summary>
    public TimeSpan BootTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Makes the folders absolute (relative ones are read from the working directory) and empty values default.</summary>
    internal static void Resolve(ApplianceOptions options)
    {
        options.DataDir = FullPath(string.IsNullOrWhiteSpace(options.DataDir) ? DefaultDataDir : options.DataDir);
        options.BootDir = FullPath(string.IsNullOrWhiteSpace(options.BootDir) ? DefaultBootDir : options.BootDir);
        options.PublicUrl = string.IsNullOrWhiteSpace(options.PublicUrl) ? null : options.PublicUrl.Trim();
        options.AdminToken = string.IsNullOrEmpty(options.AdminToken) ? null : options.AdminToken;
    }

    /// <summary>The resolved <c>Fabric:BootDir</c>, read without validating the rest of the section.</summary>
    internal static string BootFolder(IConfiguration configuration)
    {
        var options = new ApplianceOptions { BootDir = configuration[$"{Section}:BootDir"] ?? "" };
        Resolve(options);
        return options.BootDir;
    }

    private static string FullPath(string path)
    {
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return path;
        }
    }

    /// <summary>The public URL as a URI, or null when unset or malformed (the validator reports malformed ones).</summary>
    public Uri? PublicUri => PublicUrl is not null && Uri.TryCreate(PublicUrl, UriKind.Absolute, out var uri) ? uri : null;
}

/// <summary>Checks <see cref="ApplianceOptions"/>: every problem, one line each, naming the key or the file.</summary>
internal sealed class ApplianceOptionsValidator : IValidateOptions<ApplianceOptions>
{
    public ValidateOptionsResult Validate(string? name, ApplianceOptions options)
    {
        var problems = new List<string>();
        bool dataUsable = StartupChecks.WritableFolder("Fabric:DataDir", options.DataDir, problems);
        bool bootUsable = StartupChecks.ReadableFolder("Fabric:BootDir", options.BootDir, problems);
        if (dataUsable && bootUsable)
        {
            CheckApart(options.DataDir, options.BootDir, problems);
        }

        if (dataUsable)
        {
            StartupChecks.SqliteFile(Path.Combine(options.DataDir, Registry.FabricRegistry.DatabaseFileName), problems);
            StartupChecks.SqliteFile(Path.Combine(options.DataDir, "leases.db"), problems);
        }

        if (options.PublicUrl is { } publicText)
        {
            if (!Uri.TryCreate(publicText, UriKind.Absolute, out var publicUrl) || publicUrl.Scheme is not ("http" or "https")
                || !string.IsNullOrEmpty(publicUrl.Query) || !string.IsNullOrEmpty(publicUrl.Fragment)
                || publicUrl.Host is "0.0.0.0" or "[::]" || publicUrl.Port == 0)
            {
                problems.Add($"Fabric:PublicUrl: '{publicText}' is not a URL nodes can reach, like http://10.0.0.1:8080");
            }
        }

        if (options.AdminToken is { } token
            && (token.Length < ApplianceOptions.MinAdminTokenLength || token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
        {
            problems.Add($"Fabric:AdminToken: an admin token is at least {ApplianceOptions.MinAdminTokenLength} characters without spaces");
        }

        if (options.BootTimeout <= TimeSpan.Zero)
        {
            problems.Add($"Fabric:BootTimeout: '{options.BootTimeout}' is not a positive time span like 00:10:00");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    /// <summary>BootDir is served to anyone on the boot network, DataDir holds the secrets: neither may hold the other,
    /// by path or through symbolic links.</summary>
    private static void CheckApart(string dataDir, string bootDir, List<string> problems)
    {
        var data = InsideFolder.RealPath(dataDir) ?? dataDir;
        var boot = InsideFolder.RealPath(bootDir) ?? bootDir;
        if (data == boot)
        {
            problems.Add($"Fabric:BootDir: '{bootDir}' is the data folder (Fabric:DataDir); boot files are served to anyone, so keep them in a folder of their own, e.g. next to it");
        }
        else if (InsideFolder.IsInside(data, boot))
        {
            problems.Add($"Fabric:BootDir: '{bootDir}' lies inside Fabric:DataDir '{dataDir}', which would serve the registry and secrets; use a folder next to it");
        }
        else if (InsideFolder.IsInside(boot, data))
        {
            problems.Add($"Fabric:BootDir: '{bootDir}' contains Fabric:DataDir '{dataDir}', which would serve the registry and secrets; use a folder next to it");
        }
    }
}
