<?php
/**
 * The "Dargah payment needs review" e-mail (plain text). A theme may
 * override it as woocommerce/emails/plain/dargah-needs-review.php.
 *
 * @package Dargah_WooCommerce
 * @var WC_Order $order
 * @var string   $payment_id
 * @var string   $gateway
 * @var string   $reason
 * @var string   $review_url
 * @var string   $email_heading
 * @var string   $additional_content
 */

defined( 'ABSPATH' ) || exit;

echo '= ' . esc_html( wp_strip_all_tags( $email_heading ) ) . " =\n\n";
/* translators: 1: gateway name, 2: Dargah payment id, 3: order number */
echo esc_html( sprintf( __( 'The %1$s payment %2$s for order #%3$s needs review:', 'dargah-woocommerce' ), $gateway, $payment_id, $order->get_order_number() ) ) . "\n\n";
echo esc_html( $reason ) . "\n\n";
echo esc_html__( 'Look the payment up in the gateway\'s panel before fulfilling or refunding the order, then mark it as reviewed on the Dargah payments page.', 'dargah-woocommerce' ) . "\n\n";
echo esc_html__( 'Open the Dargah payments page', 'dargah-woocommerce' ) . ': ' . esc_url_raw( $review_url ) . "\n";
echo esc_html__( 'Open the order', 'dargah-woocommerce' ) . ': ' . esc_url_raw( $order->get_edit_order_url() ) . "\n";
if ( $additional_content ) {
	echo "\n" . esc_html( wp_strip_all_tags( wptexturize( $additional_content ) ) ) . "\n";
}
