using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Fabric.Router;

/// <summary>The router's settings, section <c>Fabric:Router</c>.</summary>
public sealed class RouterOptions
{
    public const string Section = "Fabric:Router";
    public static readonly TimeSpan DefaultCheckInterval = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan MinCheckInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxCheckInterval = TimeSpan.FromHours(1);

    /// <summary><c>Fabric:Router:CheckInterval</c>: how often every router is planned to find drift.</summary>
    public TimeSpan CheckInterval { get; set; } = DefaultCheckInterval;

    /// <summary>How long one check may take: four fifths of the interval, so a check ends before the next one starts.</summary>
    public TimeSpan CheckTimeout => CheckInterval * 0.8;

    /// <summary><c>Fabric:Router:AutoApply</c>: whether an instance added, removed or re-addressed queues a
    /// <c>router-apply</c> job on every router.</summary>
    public bool AutoApply { get; set; } = true;

    internal List<string> Problems { get; } = [];

    /// <summary>Reads the section; malformed values are kept as problems for <see cref="Validator"/> to report together.</summary>
    public static void Read(IConfiguration configuration, RouterOptions options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        var section = configuration.GetSection(Section);
        if (section["CheckInterval"] is { Length: > 0 } text)
        {
            if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) && value >= MinCheckInterval && value <= MaxCheckInterval)
            {
                options.CheckInterval = value;
            }
            else
            {
                options.Problems.Add($"{Section}:CheckInterval: '{text}' is not a time span from {MinCheckInterval:c} to {MaxCheckInterval:c} (e.g. 00:01:00)");
            }
        }

        if (section["AutoApply"] is { Length: > 0 } auto)
        {
            if (bool.TryParse(auto, out var value))
            {
                options.AutoApply = value;
            }
            else
            {
                options.Problems.Add($"{Section}:AutoApply: '{auto}' is not true or false");
            }
        }
    }

    /// <summary>Reports every problem at once, at start-up.</summary>
    internal sealed class Validator : IValidateOptions<RouterOptions>
    {
        public ValidateOptionsResult Validate(string? name, RouterOptions options) =>
            options.Problems.Count > 0 ? ValidateOptionsResult.Fail(options.Problems) : ValidateOptionsResult.Success;
    }
}
