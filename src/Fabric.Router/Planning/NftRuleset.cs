using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Scriban;
using Scriban.Runtime;

namespace Fabric.Router.Planning;

/// <summary>Renders <c>templates/router/fabric.nft</c>, the router's <c>inet fabric</c> table, from the routed
/// networks. The file deletes and remakes the table, so <c>nft -f</c> replaces it whole in one transaction.</summary>
public static class NftRuleset
{
    /// <summary>The table Fabric owns on the router; nothing else there is touched.</summary>
    public const string Family = "inet";

    public const string Table = "fabric";

    private static readonly Lazy<Template> Compiled = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Fabric.Router.fabric.nft")
            ?? throw new InvalidOperationException("the fabric.nft template is not embedded");
        using var reader = new StreamReader(stream);
        var template = Template.Parse(reader.ReadToEnd(), "templates/router/fabric.nft");
        return template.HasErrors ? throw new InvalidOperationException("templates/router/fabric.nft: " + string.Join("; ", template.Messages)) : template;
    });

    /// <summary>The ruleset for <paramref name="networks"/>; its <c>fingerprint</c> is the SHA-256 of the model.</summary>
    public static string Render(string trunk, string uplink, IReadOnlyList<RoutedNetwork> networks)
    {
        var model = new ScriptObject
        {
            ["trunk"] = trunk,
            ["uplink"] = uplink,
            ["fingerprint"] = Fingerprint(trunk, uplink, networks),
        };
        var list = new ScriptArray();
        foreach (var n in networks)
        {
            var sources = new ScriptArray();
            foreach (var source in n.Sources)
            {
                sources.Add(source.ToString());
            }

            var allows = new ScriptArray();
            foreach (var a in n.Allows)
            {
                allows.Add(new ScriptObject { ["interface"] = a.To.Interface, ["set"] = a.ToSet, ["match"] = a.Match, ["comment"] = a.Comment });
            }

            var replies = new ScriptArray();
            foreach (var r in n.RepliesTo)
            {
                replies.Add(new ScriptObject { ["interface"] = r.Interface, ["network"] = r.Network });
            }

            list.Add(new ScriptObject
            {
                ["allows"] = allows,
                ["replies"] = replies,
                ["name"] = n.Network,
                ["kind"] = Core.NetworkKindNames.ToWire(n.Kind),
                ["cidr"] = n.Cidr.ToString(),
                ["vlan"] = n.Vlan,
                ["interface"] = n.Interface,
                ["set"] = n.SetName,
                ["from_chain"] = n.FromChain,
                ["to_chain"] = n.ToChain,
                ["sources"] = sources,
            });
        }

        model["networks"] = list;
        var context = new TemplateContext { StrictVariables = true, MemberRenamer = m => m.Name };
        context.PushGlobal(model);
        return Compiled.Value.Render(context);
    }

    private static string Fingerprint(string trunk, string uplink, IReadOnlyList<RoutedNetwork> networks)
    {
        var text = new StringBuilder().Append(trunk).Append('|').Append(uplink);
        foreach (var n in networks)
        {
            text.Append('|').Append(n.Interface).Append('=').Append(n.Address).Append(':').AppendJoin(',', n.Sources);
            foreach (var a in n.Allows)
            {
                text.Append('|').Append(a.Comment);
            }
        }

        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }
}
