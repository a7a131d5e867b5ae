using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Fabric.Core;

/// <summary>How a HardwareNode's root file system is reached.</summary>
public enum RootTransport
{
    /// <summary>One ATA-over-Ethernet target: <c>aoe:e&lt;shelf&gt;.&lt;slot&gt;</c>.</summary>
    Aoe,

    /// <summary>An md RAID1 over two AoE targets on two storage nodes: <c>aoe-md:e0.1,e1.1</c>.</summary>
    AoeMd,

    /// <summary>An NFS export: <c>nfs:&lt;server&gt;:&lt;path&gt;</c>.</summary>
    Nfs,
}

/// <summary>An AoE target address: shelf (major, 0..65534) and slot (minor, 0..254).</summary>
public readonly record struct AoeTarget(int Shelf, int Slot)
{
    public const int MaxShelf = 65534;
    public const int MaxSlot = 254;

    /// <summary>The device name as the Linux aoe driver names it, <c>e0.1</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"e{Shelf}.{Slot}");

    public static bool TryParse(ReadOnlySpan<char> text, out AoeTarget target)
    {
        target = default;
        if (text.Length < 4 || (text[0] != 'e' && text[0] != 'E'))
        {
            return false;
        }

        var rest = text[1..];
        int dot = rest.IndexOf('.');
        if (dot <= 0 || dot == rest.Length - 1)
        {
            return false;
        }

        if (!TryParseDigits(rest[..dot], out int shelf) || !TryParseDigits(rest[(dot + 1)..], out int slot)
            || shelf > MaxShelf || slot > MaxSlot)
        {
            return false;
        }

        target = new AoeTarget(shelf, slot);
        return true;
    }

    private static bool TryParseDigits(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 5)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        return true;
    }
}

/// <summary>A parsed <c>root</c> field of a HardwareNode. The text form is what Fabric's templates put on
/// the kernel command line as <c>fabric.root=</c>.</summary>
public sealed record RootSpec
{
    private RootSpec(RootTransport transport, IReadOnlyList<AoeTarget> targets, string? nfsServer, string? nfsPath)
    {
        Transport = transport;
        AoeTargets = targets;
        NfsServer = nfsServer;
        NfsPath = nfsPath;
    }

    public RootTransport Transport { get; }

    /// <summary>One target for <see cref="RootTransport.Aoe"/>, two for <see cref="RootTransport.AoeMd"/>.</summary>
    public IReadOnlyList<AoeTarget> AoeTargets { get; }

    public string? NfsServer { get; }

    public string? NfsPath { get; }

    public static RootSpec Aoe(AoeTarget target) => new(RootTransport.Aoe, [target], null, null);

    public static RootSpec AoeMd(AoeTarget first, AoeTarget second) => new(RootTransport.AoeMd, [first, second], null, null);

    public static RootSpec Nfs(string server, string path) => new(RootTransport.Nfs, [], server, path);

    public override string ToString() => Transport switch
    {
        RootTransport.Aoe => $"aoe:{AoeTargets[0]}",
        RootTransport.AoeMd => $"aoe-md:{AoeTargets[0]},{AoeTargets[1]}",
        RootTransport.Nfs => $"nfs:{NfsServer}:{NfsPath}",
        _ => throw new InvalidOperationException(),
    };

    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out RootSpec? spec, [NotNullWhen(false)] out string? reason)
    {
        spec = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            reason = "root is empty";
            return false;
        }

        text = text.Trim();
        if (text.StartsWith("aoe:", StringComparison.Ordinal))
        {
            if (AoeTarget.TryParse(text.AsSpan(4), out var target))
            {
                spec = Aoe(target);
                reason = null;
                return true;
            }

            reason = "an AoE root is aoe:e<shelf>.<slot>, e.g. aoe:e0.1 (shelf 0-65534, slot 0-254)";
            return false;
        }

        if (text.StartsWith("aoe-md:", StringComparison.Ordinal))
        {
            var parts = text[7..].Split(',');
            if (parts.Length == 2 && AoeTarget.TryParse(parts[0], out var a) && AoeTarget.TryParse(parts[1], out var b))
            {
                if (a == b)
                {
                    reason = "the two legs of an aoe-md root are two different targets";
                    return false;
                }

                spec = AoeMd(a, b);
                reason = null;
                return true;
            }

            reason = "an md root is aoe-md:e<shelf>.<slot>,e<shelf>.<slot>, e.g. aoe-md:e0.1,e1.1";
            return false;
        }

        if (text.StartsWith("nfs:", StringComparison.Ordinal))
        {
            var rest = text[4..];
            int colon = rest.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && colon < rest.Length - 1)
            {
                var server = rest[..colon];
                var path = rest[(colon + 1)..];
                if (path.StartsWith('/') && !path.Contains(' ', StringComparison.Ordinal) && IsSafeHost(server) && IsSafePath(path))
                {
                    spec = Nfs(server, path);
                    reason = null;
                    return true;
                }
            }

            reason = "an NFS root is nfs:<server>:<absolute path>, e.g. nfs:10.0.0.5:/srv/roots/hnode01";
            return false;
        }

        reason = "root must start with aoe:, aoe-md: or nfs:";
        return false;
    }

    private static bool IsSafeHost(string host) =>
        host.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-');

    private static bool IsSafePath(string path) =>
        path.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '-' or '_') && !path.Contains("..", StringComparison.Ordinal);
}
