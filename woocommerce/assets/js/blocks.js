/**
 * Dargah's payment methods in the Cart and Checkout blocks. Plain script, no
 * build step: it uses the globals WooCommerce Blocks and WordPress provide
 * (wc.wcBlocksRegistry, wc.wcSettings, wp.element, wp.htmlEntities). The
 * texts come translated from PHP (Dargah_WC_Blocks_Support).
 */
( function () {
	'use strict';
	var registry = window.wc && window.wc.wcBlocksRegistry;
	var settings = window.wc && window.wc.wcSettings;
	if ( ! registry || ! settings ) {
		return;
	}
	var el = window.wp.element.createElement;
	var decode = window.wp.htmlEntities.decodeEntities;

	[ 'dargah_vandar', 'dargah_mupra', 'dargah_canpay', 'dargah_atipay' ].forEach( function ( name ) {
		var data = settings.getSetting( name + '_data', null );
		if ( ! data ) {
			return; // Not active on this site.
		}
		var title = decode( data.title || '' );
		var Content = function () {
			return el( 'div', { className: 'dargah-description' }, decode( data.description || '' ) );
		};
		var Label = function ( props ) {
			var PaymentMethodLabel = props.components.PaymentMethodLabel;
			return el( PaymentMethodLabel, { text: title } );
		};
		registry.registerPaymentMethod( {
			name: name,
			label: el( Label, null ),
			content: el( Content, null ),
			edit: el( Content, null ),
			canMakePayment: function () {
				return true; // The server decided already: is_active() checked currency and settings.
			},
			ariaLabel: title,
			supports: { features: data.supports || [ 'products' ] },
		} );
	} );
} )();
