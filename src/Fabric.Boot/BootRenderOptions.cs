using Fabric.Core;

namespace Fabric.Boot;

/// <summary>Options of the boot renderer, bound from <c>Fabric:Boot</c> (plus <c>Fabric:TemplatesDir</c>).</summary>
public sealed record BootRenderOptions
{
    /// <summary>Folder of the templates; empty = the <c>templates</c> folder next to the app or up the
    /// tree from the content root.</summary>
    public string? TemplatesDir { get; set; }

    /// <summary>Set after binding: whether <see cref="TemplatesDir"/> names an existing folder.</summary>
    internal bool TemplatesDirFound { get; set; }

    public string KernelName { get; set; } = "vmlinuz";

    public string InitrdName { get; set; } = "initrd.img";

    /// <summary>Seconds the initramfs waits for each boot step (<c>fabric.timeout</c> on the kernel command line)
    /// unless the node has a <c>fabric.timeout</c> label.</summary>
    public int TimeoutSeconds { get; set; } = 30;

    /// <summary>Seconds a waiting script (discovery, failed boot) sleeps before it tries again.</summary>
    public int RetrySeconds { get; set; } = 5;

    /// <summary>How often the templates folder is checked for changed files; zero = on every render.</summary>
    public TimeSpan ReloadCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Most loop iterations one render may run (all loops together); past it the render fails.</summary>
    public int LoopLimit { get; set; } = 10_000;

    /// <summary>Deepest chain of function calls (a template's own recursive functions) one render may reach.</summary>
    public int RecursiveLimit { get; set; } = 64;

    /// <summary>Largest rendered file, in characters; a render that would write more fails instead.</summary>
    public int MaxOutputChars { get; set; } = 256 * 1024;

    /// <summary>Every problem with the options, empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (RetrySeconds is < 1 or > 3600)
        {
            errors.Add("Fabric:Boot:RetrySeconds must be between 1 and 3600.");
        }

        if (TimeoutSeconds is < BootWaitLabel.MinSeconds or > BootWaitLabel.MaxSeconds)
        {
            errors.Add($"Fabric:Boot:TimeoutSeconds must be between {BootWaitLabel.MinSeconds} and {BootWaitLabel.MaxSeconds}.");
        }

        if (string.IsNullOrWhiteSpace(KernelName) || KernelName.Any(c => !BootText.IsSafe(c)))
        {
            errors.Add("Fabric:Boot:KernelName must be a plain file name.");
        }

        if (string.IsNullOrWhiteSpace(InitrdName) || InitrdName.Any(c => !BootText.IsSafe(c)))
        {
            errors.Add("Fabric:Boot:InitrdName must be a plain file name.");
        }

        if (LoopLimit is < 1 or > 10_000_000)
        {
            errors.Add("Fabric:Boot:LoopLimit must be between 1 and 10000000.");
        }

        if (RecursiveLimit is < 1 or > 1000)
        {
            errors.Add("Fabric:Boot:RecursiveLimit must be between 1 and 1000.");
        }

        if (MaxOutputChars is < 1024 or > 64 * 1024 * 1024)
        {
            errors.Add("Fabric:Boot:MaxOutputChars must be between 1024 and 67108864.");
        }

        if (ReloadCheckInterval < TimeSpan.Zero)
        {
            errors.Add("Fabric:Boot:ReloadCheckInterval must not be negative.");
        }

        return errors;
    }
}
