using System.Globalization;
using System.Text.Json;

namespace Fabric.Router.State;

/// <summary>Parsers of what the router's tools print: <c>ip -d -j link show</c>, <c>ip -j addr show</c>, the
/// <c>key=value</c> lines of the sysctl read, <c>nft -j list table inet fabric</c>, and the shape of a rendered
/// <c>fabric.nft</c> file. Pure; malformed output is a <see cref="FormatException"/> naming the command.</summary>
public static class RouterStateParser
{
    public static IReadOnlyDictionary<string, LinkState> ParseLinks(string json)
    {
        var links = new SortedDictionary<string, LinkState>(StringComparer.Ordinal);
        foreach (var link in Array(json, "ip -j link"))
        {
            var name = Text(link, "ifname") ?? throw new FormatException("ip -j link: an interface without ifname");
            string? kind = null;
            int? vlan = null;
            if (link.TryGetProperty("linkinfo", out var info) && info.ValueKind == JsonValueKind.Object)
            {
                kind = Text(info, "info_kind");
                if (kind == "vlan" && info.TryGetProperty("info_data", out var data) && data.TryGetProperty("id", out var id) && id.TryGetInt32(out var number))
                {
                    vlan = number;
                }
            }

            bool up = link.TryGetProperty("flags", out var flags) && flags.ValueKind == JsonValueKind.Array
                && flags.EnumerateArray().Any(f => f.ValueKind == JsonValueKind.String && f.GetString() == "UP");
            links[name] = new LinkState(name, Text(link, "link"), kind, vlan, up, Text(link, "ifalias"));
        }

        return links;
    }

    public static IReadOnlyDictionary<string, IReadOnlyList<string>> ParseAddresses(string json)
    {
        var addresses = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var link in Array(json, "ip -j addr"))
        {
            var name = Text(link, "ifname") ?? throw new FormatException("ip -j addr: an interface without ifname");
            var list = new List<string>();
            if (link.TryGetProperty("addr_info", out var info) && info.ValueKind == JsonValueKind.Array)
            {
                foreach (var address in info.EnumerateArray())
                {
                    if (Text(address, "family") == "inet" && Text(address, "local") is { } local && address.TryGetProperty("prefixlen", out var prefix))
                    {
                        list.Add($"{local}/{prefix.GetInt32().ToString(CultureInfo.InvariantCulture)}");
                    }
                }
            }

            addresses[name] = list;
        }

        return addresses;
    }

    /// <summary><c>key=value</c> lines; a key whose value is missing (the interface does not exist) reads as empty.</summary>
    public static IReadOnlyDictionary<string, string> ParseSysctls(string text)
    {
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException($"sysctl: '{line}' is not key=value");
            }

            values[line[..equals]] = line[(equals + 1)..].Trim();
        }

        return values;
    }

    /// <summary>The shape of the table <c>nft -j list table inet fabric</c> printed.</summary>
    public static NftShape ParseNftJson(string json)
    {
        var sets = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var chains = new SortedDictionary<string, (string Base, int Rules, string Comments)>(StringComparer.Ordinal);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"nft -j: {e.Message}", e);
        }

        using (document)
        {
            if (!document.RootElement.TryGetProperty("nftables", out var items) || items.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException("nft -j: no 'nftables' array");
            }

            foreach (var item in items.EnumerateArray())
            {
                if (item.TryGetProperty("set", out var set))
                {
                    var elements = set.TryGetProperty("elem", out var elem) && elem.ValueKind == JsonValueKind.Array
                        ? [.. elem.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText()).Order(StringComparer.Ordinal)]
                        : new List<string>();
                    sets[Text(set, "name") ?? ""] = elements;
                }
                else if (item.TryGetProperty("chain", out var chain))
                {
                    var name = Text(chain, "name") ?? "";
                    var hook = Text(chain, "hook") is { } h ? $"{h}/{Text(chain, "policy") ?? "accept"}" : "";
                    chains[name] = chains.TryGetValue(name, out var seen) ? (hook, seen.Rules, seen.Comments) : (hook, 0, "");
                }
                else if (item.TryGetProperty("rule", out var rule))
                {
                    var name = Text(rule, "chain") ?? "";
                    var comment = Text(rule, "comment");
                    chains[name] = chains.TryGetValue(name, out var seen)
                        ? (seen.Base, seen.Rules + 1, WithComment(seen.Comments, comment))
                        : ("", 1, WithComment("", comment));
                }
            }
        }

        return new NftShape(sets, chains.ToDictionary(c => c.Key, c => Describe(c.Value), StringComparer.Ordinal));
    }

    /// <summary>The shape of a rendered <c>fabric.nft</c> (the template's own layout: one statement a line, sets with
    /// one <c>elements = { ... }</c> line), to compare with what <see cref="ParseNftJson"/> reads back.</summary>
    public static NftShape ParseRuleset(string ruleset)
    {
        var sets = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var chains = new SortedDictionary<string, (string Base, int Rules, string Comments)>(StringComparer.Ordinal);
        string? set = null;
        string? chain = null;
        bool inTable = false;
        foreach (var raw in ruleset.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (!inTable)
            {
                inTable = line.StartsWith("table ", StringComparison.Ordinal) && line.EndsWith('{');
                continue;
            }

            if (set is null && chain is null)
            {
                if (line.StartsWith("set ", StringComparison.Ordinal) && line.EndsWith('{'))
                {
                    set = line[4..^1].Trim();
                    sets[set] = [];
                }
                else if (line.StartsWith("chain ", StringComparison.Ordinal) && line.EndsWith('{'))
                {
                    chain = line[6..^1].Trim();
                    chains[chain] = ("", 0, "");
                }
                else if (line == "}")
                {
                    inTable = false;
                }

                continue;
            }

            if (line == "}")
            {
                set = chain = null;
            }
            else if (set is not null && line.StartsWith("elements = {", StringComparison.Ordinal))
            {
                sets[set] = [.. line["elements = {".Length..].TrimEnd('}').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal)];
            }
            else if (chain is not null && line.StartsWith("type ", StringComparison.Ordinal))
            {
                var words = line.Replace(";", " ", StringComparison.Ordinal).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var hook = words.SkipWhile(w => w != "hook").Skip(1).FirstOrDefault() ?? "";
                var policy = words.SkipWhile(w => w != "policy").Skip(1).FirstOrDefault() ?? "accept";
                chains[chain] = ($"{hook}/{policy}", chains[chain].Rules, chains[chain].Comments);
            }
            else if (chain is not null)
            {
                var at = line.LastIndexOf(" comment \"", StringComparison.Ordinal);
                var comment = at >= 0 && line.EndsWith('"') ? line[(at + " comment \"".Length)..^1] : null;
                chains[chain] = (chains[chain].Base, chains[chain].Rules + 1, WithComment(chains[chain].Comments, comment));
            }
        }

        return new NftShape(sets, chains.ToDictionary(c => c.Key, c => Describe(c.Value), StringComparer.Ordinal));
    }

    /// <summary>A chain as the diff compares it: <c>[hook/policy:]RULES</c>, then <c> [COMMENT|COMMENT]</c> when its
    /// rules carry comments (the operator's rules do), so a rule replaced by another of the same count is seen.</summary>
    private static string Describe((string Base, int Rules, string Comments) chain)
    {
        var count = chain.Rules.ToString(CultureInfo.InvariantCulture);
        var text = chain.Base.Length == 0 ? count : $"{chain.Base}:{count}";
        return chain.Comments.Length == 0 ? text : $"{text} [{chain.Comments}]";
    }

    private static string WithComment(string comments, string? comment) =>
        string.IsNullOrEmpty(comment) ? comments : comments.Length == 0 ? comment : $"{comments}|{comment}";

    private static List<JsonElement> Array(string json, string command)
    {
        try
        {
            using var document = JsonDocument.Parse(json.Length == 0 ? "[]" : json);
            return document.RootElement.ValueKind == JsonValueKind.Array
                ? [.. document.RootElement.EnumerateArray().Select(e => e.Clone())]
                : throw new FormatException($"{command}: not a JSON array");
        }
        catch (JsonException e)
        {
            throw new FormatException($"{command}: {e.Message}", e);
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
