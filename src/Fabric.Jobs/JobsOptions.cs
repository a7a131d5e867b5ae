using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Fabric.Jobs;

/// <summary>The job runner's settings (section <c>Fabric:Jobs</c>).</summary>
public sealed class JobsOptions
{
    public const string Section = "Fabric:Jobs";
    public const int DefaultMaxParallel = 4;
    public const int MaxMaxParallel = 256;

    /// <summary><c>Fabric:Jobs:MaxParallel</c>: jobs running at once (on different nodes; a node runs one at a time).</summary>
    public int MaxParallel { get; set; } = DefaultMaxParallel;

    /// <summary>How often at most a running job's progress is written and published.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Log lines kept per job.</summary>
    public int MaxLogLines { get; set; } = 1000;

    internal List<string> Problems { get; } = [];

    /// <summary>Reads the section; malformed values are kept as problems for <see cref="Validator"/> to report together.</summary>
    public static void Read(IConfiguration configuration, JobsOptions options)
    {
        var section = configuration.GetSection(Section);
        if (section["MaxParallel"] is { Length: > 0 } text)
        {
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value is >= 1 and <= MaxMaxParallel)
            {
                options.MaxParallel = value;
            }
            else
            {
                options.Problems.Add($"{Section}:MaxParallel: '{text}' is not a whole number from 1 to {MaxMaxParallel}");
            }
        }
    }

    /// <summary>Reports every problem at once, at start-up.</summary>
    internal sealed class Validator : IValidateOptions<JobsOptions>
    {
        public ValidateOptionsResult Validate(string? name, JobsOptions options) =>
            options.Problems.Count > 0 ? ValidateOptionsResult.Fail(options.Problems) : ValidateOptionsResult.Success;
    }
}
