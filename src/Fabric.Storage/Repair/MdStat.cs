using System.Globalization;
using Fabric.Core;

namespace Fabric.Storage.Repair;

/// <summary>One member of an md array as <c>/proc/mdstat</c> lists it, e.g. <c>etherd/e1.1[1](F)</c>.</summary>
/// <param name="Device">The kernel's device name, e.g. <c>etherd/e1.1</c> or <c>sda1</c>.</param>
/// <param name="Role">The number in brackets: the member's slot in the array.</param>
/// <param name="Faulty">Marked <c>(F)</c>: failed, still listed until removed.</param>
/// <param name="Spare">Marked <c>(S)</c>: a spare.</param>
public sealed record MdMember(string Device, int Role, bool Faulty, bool Spare)
{
    /// <summary>The AoE target this member is, when it is an AoE device (<c>etherd/e1.1</c>, or <c>etherd!e1.1</c> as sysfs
    /// spells it).</summary>
    public AoeTarget? AoeTarget =>
        (Device.StartsWith("etherd/", StringComparison.Ordinal) || Device.StartsWith("etherd!", StringComparison.Ordinal))
        && Core.AoeTarget.TryParse(Device.AsSpan("etherd/".Length), out var target) ? target : null;
}

/// <summary>A resync, recovery, check or reshape under way: <c>recovery = 27.5% (71936/261056)</c> (in 1 KiB blocks).</summary>
/// <param name="Kind"><c>recovery</c>, <c>resync</c>, <c>check</c>, <c>repair</c> or <c>reshape</c>.</param>
/// <param name="Done">Blocks done, or null while it is only <c>DELAYED</c> or <c>PENDING</c>.</param>
/// <param name="Total">Blocks in all, or null likewise.</param>
public sealed record MdSync(string Kind, long? Done, long? Total);

/// <summary>One array of <c>/proc/mdstat</c>.</summary>
/// <param name="Name">e.g. <c>md0</c>; the device is <c>/dev/</c> and the name.</param>
/// <param name="Active">Its state word is <c>active</c> (not <c>inactive</c>).</param>
/// <param name="Level">e.g. <c>raid1</c>; empty for an inactive array.</param>
/// <param name="Members">The devices listed, in the order listed.</param>
/// <param name="Slots">The <c>[2/1]</c> pair: member slots, and slots in use.</param>
/// <param name="Status">The <c>[U_]</c> string, one character per slot: <c>U</c> in use, <c>_</c> missing.</param>
/// <param name="Sync">The resync or recovery under way, or null.</param>
public sealed record MdArray(string Name, bool Active, string Level, IReadOnlyList<MdMember> Members, int? Slots, int? SlotsInUse, string Status, MdSync? Sync)
{
    public string Device => "/dev/" + Name;

    /// <summary>Every slot in use and nothing being rebuilt: <c>[UU]</c> with no recovery or resync line.</summary>
    public bool IsClean => Active && Status.Length > 0 && !Status.Contains('_', StringComparison.Ordinal) && Sync is null
        && Members.All(m => !m.Faulty);

    /// <summary>The member that is <paramref name="target"/>, or null when the array does not list it.</summary>
    public MdMember? MemberOf(AoeTarget target) => Members.FirstOrDefault(m => m.AoeTarget == target);
}

/// <summary>Reads <c>/proc/mdstat</c> (Linux <c>drivers/md/md.c</c>, <c>md_seq_show</c>). Pure: text in, arrays out; a
/// line it does not understand is skipped.</summary>
public static class MdStat
{
    public static IReadOnlyList<MdArray> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var arrays = new List<MdArray>();
        MdArray? current = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                Flush();
                continue;
            }

            if (!char.IsWhiteSpace(line[0]))
            {
                Flush();
                current = ParseHeader(line);
                continue;
            }

            if (current is null)
            {
                continue;
            }

            var body = line.Trim();
            if (body.Contains(" blocks", StringComparison.Ordinal))
            {
                current = ParseBlocks(current, body);
            }
            else if (ParseSync(body) is { } sync)
            {
                current = current with { Sync = sync };
            }
        }

        Flush();
        return arrays;

        void Flush()
        {
            if (current is not null)
            {
                arrays.Add(current);
                current = null;
            }
        }
    }

    /// <summary><c>md0 : active raid1 etherd/e1.1[1](F) etherd/e0.1[0]</c>; null for <c>Personalities</c>, <c>unused
    /// devices</c> and anything else that is not an array.</summary>
    private static MdArray? ParseHeader(string line)
    {
        int colon = line.IndexOf(" : ", StringComparison.Ordinal);
        if (colon <= 0 || !line.StartsWith("md", StringComparison.Ordinal))
        {
            return null;
        }

        var name = line[..colon].Trim();
        var words = line[(colon + 3)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            return null;
        }

        bool active = words[0] == "active";
        int i = 1;
        while (i < words.Length && words[i].StartsWith('('))
        {
            i++; // (read-only), (auto-read-only)
        }

        string level = "";
        if (active && i < words.Length && !words[i].Contains('[', StringComparison.Ordinal))
        {
            level = words[i++];
        }

        var members = new List<MdMember>();
        for (; i < words.Length; i++)
        {
            if (ParseMember(words[i]) is { } member)
            {
                members.Add(member);
            }
        }

        return new MdArray(name, active, level, members, null, null, "", null);
    }

    /// <summary><c>etherd/e1.1[1](F)</c>, <c>sdb1[2](S)</c>, <c>sdc[3](W)(F)</c>.</summary>
    private static MdMember? ParseMember(string word)
    {
        int open = word.IndexOf('[', StringComparison.Ordinal);
        int close = open < 0 ? -1 : word.IndexOf(']', open);
        if (open <= 0 || close < 0
            || !int.TryParse(word.AsSpan(open + 1, close - open - 1), NumberStyles.None, CultureInfo.InvariantCulture, out int role))
        {
            return null;
        }

        var flags = word[(close + 1)..];
        return new MdMember(word[..open], role, flags.Contains("(F)", StringComparison.Ordinal), flags.Contains("(S)", StringComparison.Ordinal));
    }

    /// <summary><c>261056 blocks super 1.2 [2/1] [U_]</c>.</summary>
    private static MdArray ParseBlocks(MdArray array, string body)
    {
        int? slots = null, inUse = null;
        string status = array.Status;
        foreach (var word in body.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (word.Length < 3 || word[0] != '[' || word[^1] != ']')
            {
                continue;
            }

            var inner = word[1..^1];
            int slash = inner.IndexOf('/', StringComparison.Ordinal);
            if (slash > 0
                && int.TryParse(inner.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out int n)
                && int.TryParse(inner.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int m))
            {
                (slots, inUse) = (n, m);
            }
            else if (inner.All(c => c is 'U' or '_'))
            {
                status = inner;
            }
        }

        return array with { Slots = slots ?? array.Slots, SlotsInUse = inUse ?? array.SlotsInUse, Status = status };
    }

    /// <summary><c>[=====>......]  recovery = 27.5% (71936/261056) finish=0.1min speed=23978K/sec</c>, or
    /// <c>resync=DELAYED</c>, <c>recovery=PENDING</c>.</summary>
    private static MdSync? ParseSync(string body)
    {
        foreach (var kind in (string[])["recovery", "resync", "check", "repair", "reshape"])
        {
            int at = body.IndexOf(kind, StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }

            var rest = body[(at + kind.Length)..].TrimStart();
            if (!rest.StartsWith('='))
            {
                continue;
            }

            int open = rest.IndexOf('(', StringComparison.Ordinal);
            int close = open < 0 ? -1 : rest.IndexOf(')', open);
            if (open > 0 && close > open)
            {
                var pair = rest[(open + 1)..close];
                int slash = pair.IndexOf('/', StringComparison.Ordinal);
                if (slash > 0
                    && long.TryParse(pair.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out long done)
                    && long.TryParse(pair.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long total))
                {
                    return new MdSync(kind, done, total);
                }
            }

            return new MdSync(kind, null, null);
        }

        return null;
    }
}
