using Fabric.Core;
using Fabric.Registry.Images;
using Microsoft.Extensions.Options;

namespace Fabric.Storage;

/// <summary>Section <c>Fabric:Storage</c>: where a hardware node added without a root gets it from.</summary>
public sealed class StorageOptions
{
    public const string Section = "Fabric:Storage";

    /// <summary>The pair a hardware node added with no <c>root</c> and no <c>provision.pair</c> gets its root on; none
    /// when empty (such a node then needs a root).</summary>
    public string? DefaultPair { get; set; }

    /// <summary>The image such a node's root is made from when the add names none; an empty root volume when empty.</summary>
    public string? DefaultImage { get; set; }

    /// <summary>Where the appliance keeps images it receives before pushing them (set by the appliance: <c>DataDir/images</c>).</summary>
    public string ImageFolder { get; set; } = "images";
}

/// <summary>Every problem of <see cref="StorageOptions"/> at once, each naming its key.</summary>
public sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        if (!string.IsNullOrEmpty(options.DefaultPair) && !HostName.TryNormalize(options.DefaultPair, out _, out var reason))
        {
            problems.Add($"{StorageOptions.Section}:DefaultPair: {reason}");
        }

        if (!string.IsNullOrEmpty(options.DefaultImage) && StorageNames.Problem(options.DefaultImage, "image") is { } problem)
        {
            problems.Add($"{StorageOptions.Section}:DefaultImage: {problem}");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
