using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Fabric.Storage.Health;

/// <summary>The storage health check's settings, in section <c>Fabric:Storage</c> (which other storage settings share).</summary>
public sealed class StorageHealthOptions
{
    public const string Section = "Fabric:Storage";
    public static readonly TimeSpan DefaultCheckInterval = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan MinCheckInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxCheckInterval = TimeSpan.FromHours(1);

    /// <summary><c>Fabric:Storage:CheckInterval</c>: how often every storage node is checked.</summary>
    public TimeSpan CheckInterval { get; set; } = DefaultCheckInterval;

    /// <summary>How long one check may take: four fifths of the interval, so a check ends before the next one starts.</summary>
    public TimeSpan CheckTimeout => CheckInterval * 0.8;

    internal List<string> Problems { get; } = [];

    /// <summary>Reads the section; malformed values are kept as problems for <see cref="Validator"/> to report together.</summary>
    public static void Read(IConfiguration configuration, StorageHealthOptions options)
    {
        var section = configuration.GetSection(Section);
        if (section["CheckInterval"] is { Length: > 0 } text)
        {
            if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) && value >= MinCheckInterval && value <= MaxCheckInterval)
            {
                options.CheckInterval = value;
            }
            else
            {
                options.Problems.Add($"{Section}:CheckInterval: '{text}' is not a time span from {MinCheckInterval:c} to {MaxCheckInterval:c} (e.g. 00:00:10)");
            }
        }
    }

    /// <summary>Reports every problem at once, at start-up.</summary>
    internal sealed class Validator : IValidateOptions<StorageHealthOptions>
    {
        public ValidateOptionsResult Validate(string? name, StorageHealthOptions options) =>
            options.Problems.Count > 0 ? ValidateOptionsResult.Fail(options.Problems) : ValidateOptionsResult.Success;
    }
}
