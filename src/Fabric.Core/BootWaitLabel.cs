using System.Globalization;

namespace Fabric.Core;

/// <summary>
/// The node label <c>fabric.timeout</c>: how many seconds the node's initramfs waits for each boot step (its NIC,
/// a DHCP lease, its AoE targets, md, an NFS mount) before it reports <c>failed</c>. Without the label the
/// appliance's default (<c>Fabric:Boot:TimeoutSeconds</c>) applies. The boot templates put it on the kernel
/// command line as <c>fabric.timeout=SECONDS</c>.
/// </summary>
public static class BootWaitLabel
{
    public const string Key = "fabric.timeout";
    public const int MinSeconds = 1;
    public const int MaxSeconds = 3600;

    /// <summary>The reason a value is refused, for error messages.</summary>
    public static string Rule => $"a whole number of seconds from {MinSeconds} to {MaxSeconds}";

    /// <summary>True when <paramref name="value"/> is a plain decimal number of seconds within the bounds.</summary>
    public static bool TryParse(string? value, out int seconds)
    {
        seconds = 0;
        return value is { Length: > 0 and <= 4 }
            && value.All(char.IsAsciiDigit)
            && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out seconds)
            && seconds is >= MinSeconds and <= MaxSeconds;
    }
}
