using Microsoft.Extensions.Options;

namespace Fabric.Appliance.Hosting;

/// <summary>The HTTP server's settings: <c>Urls</c> (a top-level key, as in every ASP.NET Core host) and
/// <c>Fabric:MaxRequestBodyBytes</c>.</summary>
public sealed class HttpOptions
{
    public const string DefaultUrls = "http://127.0.0.1:8080";
    public const long DefaultMaxRequestBodyBytes = 1024 * 1024;

    /// <summary>The listen URLs, <c>;</c>-separated.</summary>
    public string Urls { get; set; } = DefaultUrls;

    /// <summary>Largest request body the API accepts.</summary>
    public long MaxRequestBodyBytes { get; set; } = DefaultMaxRequestBodyBytes;

    public IReadOnlyList<string> UrlList =>
        Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Registers the options: <c>Fabric:MaxRequestBodyBytes</c> bound from <c>Fabric</c>, <c>Urls</c> from the root.</summary>
    internal static void Add(IServiceCollection services) =>
        services.AddFabricSettings<HttpOptions, HttpOptionsValidator>(ApplianceOptions.Section)
            .Configure<IConfiguration>((options, configuration) =>
            {
                if ((configuration["Urls"] ?? configuration["urls"]) is { Length: > 0 } urls)
                {
                    options.Urls = urls;
                }
            });
}

/// <summary>Checks <see cref="HttpOptions"/>: every problem, one line each.</summary>
internal sealed class HttpOptionsValidator : IValidateOptions<HttpOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpOptions options)
    {
        var problems = new List<string>();
        foreach (var url in options.UrlList)
        {
            if (!TryParseListenUrl(url, out _))
            {
                problems.Add($"Urls: '{url}' is not a listen URL like http://127.0.0.1:8080");
            }
        }

        if (options.UrlList.Count == 0)
        {
            problems.Add("Urls: no listen URL, set one like http://127.0.0.1:8080");
        }

        if (options.MaxRequestBodyBytes < 1024)
        {
            problems.Add($"Fabric:MaxRequestBodyBytes: '{options.MaxRequestBodyBytes}' is not a size of at least 1024 bytes");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    /// <summary>An http(s) URL with no path; the wildcard hosts <c>*</c> and <c>+</c> are allowed.</summary>
    internal static bool TryParseListenUrl(string url, out Uri parsed)
    {
        var probe = url.Replace("://*", "://any", StringComparison.Ordinal).Replace("://+", "://any", StringComparison.Ordinal);
        return Uri.TryCreate(probe, UriKind.Absolute, out parsed!) && parsed.Scheme is "http" or "https" && parsed.AbsolutePath == "/";
    }
}
